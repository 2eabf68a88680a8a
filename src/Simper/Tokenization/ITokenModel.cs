using Microsoft.ML.Tokenizers;

namespace Simper.Tokenization;

/// <summary>Token-to-id lookups of a tokenizer's own vocabulary (added tokens excluded).</summary>
internal interface ITokenVocabulary
{
    /// <summary>Number of ids in the model's own vocabulary.</summary>
    int Count { get; }

    int? TokenToId(string token);
    string? IdToToken(int id);
}

/// <summary>The model stage of a tokenizer we assemble ourselves: turns text free of added tokens into ids and back.</summary>
internal interface ITokenModel : ITokenVocabulary
{
    /// <summary>Appends the ids of <paramref name="text"/>; <paramref name="atStart"/> says it begins the whole input.</summary>
    void Encode(string text, bool atStart, List<int> ids);

    /// <summary>Decodes model ids; <paramref name="atStart"/> says nothing was decoded before them.</summary>
    string Decode(List<int> ids, bool atStart);

    /// <summary>The Microsoft.ML.Tokenizers tokenizer alone, for throughput comparisons.</summary>
    Tokenizer Reference { get; }
}
