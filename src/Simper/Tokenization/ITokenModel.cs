using Microsoft.ML.Tokenizers;

namespace Simper.Tokenization;

/// <summary>The model stage of a tokenizer: turns text free of added tokens into ids and back.</summary>
internal interface ITokenModel
{
    /// <summary>Number of ids in the model's own vocabulary (added tokens excluded).</summary>
    int Count { get; }

    /// <summary>Appends the ids of <paramref name="text"/>; <paramref name="atStart"/> says it begins the whole input.</summary>
    void Encode(string text, bool atStart, List<int> ids);

    /// <summary>Decodes model ids; <paramref name="atStart"/> says nothing was decoded before them.</summary>
    string Decode(List<int> ids, bool atStart);

    int? TokenToId(string token);
    string? IdToToken(int id);

    /// <summary>The Microsoft.ML.Tokenizers tokenizer alone, for throughput comparisons.</summary>
    Tokenizer Reference { get; }
}
