using System.Text.Json.Nodes;

namespace Simper.Tokenization;

/// <summary>
/// What we read ourselves from a Hugging Face <c>tokenizer.json</c>: the vocabulary (for id lookups), the added
/// tokens and the special tokens its TemplateProcessing puts around a sequence. Encoding and decoding are left to
/// Hugging Face's own library (<see cref="HuggingFaceTokenizer"/>).
/// </summary>
internal static class TokenizerJsonFile
{
    public sealed record Loaded(JsonObject Root, JsonVocabulary Vocabulary, List<AddedToken> AddedTokens,
        string? TemplateBos, string? TemplateEos);

    public static Loaded Read(string path)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                   ?? throw new SimperException($"{path}: expected a JSON object.");
        }
        catch (System.Text.Json.JsonException e) { throw new SimperException($"{path}: invalid JSON ({e.Message}).", e); }

        var model = root["model"] as JsonObject ?? throw new SimperException($"{path}: field 'model' is missing.");
        var added = new List<AddedToken>();
        foreach (var t in root["added_tokens"] as JsonArray ?? [])
        {
            added.Add(new AddedToken((int)t!["id"]!, (string)t["content"]!, (bool?)t["special"] ?? false,
                (bool?)t["lstrip"] ?? false, (bool?)t["rstrip"] ?? false, (bool?)t["single_word"] ?? false,
                (bool?)t["normalized"] ?? false));
        }
        var (bos, eos) = TemplateSpecialTokens(root["post_processor"]);
        return new Loaded(root, JsonVocabulary.Read(path, model), added, bos, eos);
    }

    /// <summary>The special tokens a TemplateProcessing post-processor puts before and after a single sequence.</summary>
    private static (string? Bos, string? Eos) TemplateSpecialTokens(JsonNode? postProcessor)
    {
        var template = TokenizerComponents.Flatten(postProcessor).FirstOrDefault(p => (string?)p["type"] == "TemplateProcessing");
        if (template?["single"] is not JsonArray { Count: > 0 } single) return (null, null);
        static string? Special(JsonNode? item) => (string?)item?["SpecialToken"]?["id"];
        var bos = Special(single[0]);
        var eos = single.Count > 1 ? Special(single[^1]) : null;
        return (bos, eos);
    }
}

/// <summary>A tokenizer.json model's vocabulary: an object of token to id (BPE, WordPiece, WordLevel) or a list of
/// [piece, score] whose index is the id (Unigram).</summary>
internal sealed class JsonVocabulary : ITokenVocabulary
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly Dictionary<int, string> _tokens = [];

    public static JsonVocabulary Read(string path, JsonObject model)
    {
        var result = new JsonVocabulary();
        switch (model["vocab"])
        {
            case JsonObject map:
                foreach (var (token, id) in map) result.Add(token, (int)id!);
                break;
            case JsonArray pieces:
                for (int i = 0; i < pieces.Count; i++) result.Add((string)pieces[i]![0]!, i);
                break;
            default:
                throw new SimperException($"{path}: model.vocab is missing; expected an object of token to id or a list of [piece, score].");
        }
        return result;
    }

    private void Add(string token, int id)
    {
        _ids.TryAdd(token, id);
        _tokens.TryAdd(id, token);
    }

    public int Count => _ids.Count;
    public int? TokenToId(string token) => _ids.TryGetValue(token, out var id) ? id : null;
    public string? IdToToken(int id) => _tokens.GetValueOrDefault(id);
}
