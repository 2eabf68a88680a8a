using System.Text.Json.Nodes;

namespace Simper.Tokenization;

/// <summary>
/// What <c>tokenizer_config.json</c> says (falling back to <c>special_tokens_map.json</c>, then to <c>config.json</c>'s
/// ids): special tokens, whether BOS/EOS are added, the chat template.
/// </summary>
internal sealed class TokenizerConfig
{
    private readonly Dictionary<string, (bool Present, string? Value)> _specialTokens = [];

    public string? TokenizerClass { get; private init; }
    public bool? AddBosToken { get; private init; }
    public bool? AddEosToken { get; private init; }
    public string? ChatTemplate { get; private init; }
    public int? ModelMaxLength { get; private init; }
    public bool CleanUpTokenizationSpaces { get; private init; }
    public List<AddedToken> AddedTokens { get; } = [];
    public Dictionary<string, int> ConfigIds { get; } = [];

    /// <summary>The token named <paramref name="key"/> ("bos_token", ...): Present is false when no file names it.</summary>
    public (bool Present, string? Value) SpecialToken(string key) => _specialTokens.GetValueOrDefault(key);

    public static TokenizerConfig Read(string dir)
    {
        var config = ReadJson(Path.Combine(dir, "tokenizer_config.json"));
        var map = ReadJson(Path.Combine(dir, "special_tokens_map.json"));
        var modelConfig = ReadJson(Path.Combine(dir, "config.json"));
        var templateFile = Path.Combine(dir, "chat_template.jinja");

        var maxLength = (double?)config?["model_max_length"];
        var result = new TokenizerConfig
        {
            TokenizerClass = (string?)config?["tokenizer_class"],
            AddBosToken = (bool?)config?["add_bos_token"],
            AddEosToken = (bool?)config?["add_eos_token"],
            ChatTemplate = ReadChatTemplate(config?["chat_template"])
                           ?? (File.Exists(templateFile) ? File.ReadAllText(templateFile) : null),
            ModelMaxLength = maxLength is > 0 and <= int.MaxValue ? (int)maxLength : null,
            CleanUpTokenizationSpaces = (bool?)config?["clean_up_tokenization_spaces"] ?? false,
        };
        foreach (var key in new[] { "bos_token", "eos_token", "pad_token", "unk_token" })
        {
            if (config is JsonObject c && c.ContainsKey(key)) result._specialTokens[key] = (true, TokenContent(c[key]));
            else if (map is JsonObject m && m.ContainsKey(key)) result._specialTokens[key] = (true, TokenContent(m[key]));
        }
        foreach (var (id, t) in config?["added_tokens_decoder"] as JsonObject ?? [])
        {
            if (t is null || !int.TryParse(id, out var tokenId)) continue;
            result.AddedTokens.Add(new AddedToken(tokenId, (string)t["content"]!, (bool?)t["special"] ?? false,
                (bool?)t["lstrip"] ?? false, (bool?)t["rstrip"] ?? false, (bool?)t["single_word"] ?? false,
                (bool?)t["normalized"] ?? false));
        }
        foreach (var key in new[] { "bos_token_id", "eos_token_id", "pad_token_id" })
        {
            // eos_token_id may be a list (several stop tokens); the first is the EOS token.
            var node = modelConfig?[key] is JsonArray { Count: > 0 } list ? list[0] : modelConfig?[key];
            if (node is JsonValue v && v.TryGetValue<int>(out var value)) result.ConfigIds[key] = value;
        }
        return result;
    }

    private static JsonNode? ReadJson(string path)
    {
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path)); }
        catch (System.Text.Json.JsonException e) { throw new SimperException($"{path}: invalid JSON ({e.Message}).", e); }
    }

    /// <summary>A token given as a string or as an AddedToken object {"content": ...}.</summary>
    private static string? TokenContent(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o => (string?)o["content"],
        _ => null,
    };

    /// <summary>chat_template is a string, or a list of {name, template} of which "default" is the one used.</summary>
    private static string? ReadChatTemplate(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray list => list.Where(t => (string?)t?["name"] == "default").Select(t => (string?)t?["template"]).FirstOrDefault(),
        _ => null,
    };
}
