using System.Text.Json.Nodes;

namespace Simper.Export;

/// <summary>
/// Names a tokenizer.json pre-tokenizer by llama.cpp's <c>tokenizer.ggml.pre</c> types. llama.cpp splits text with
/// its own built-in rules per type, so a pre-tokenizer it does not know is refused: written as "default" it would
/// tokenize differently from the model's training. Each type is recognised from the whole pre-tokenizer pipeline
/// its models ship (steps, their order, options and regexes), as nothing less pins llama.cpp's rules down.
/// </summary>
public static class PreTokenizerType
{
    private const string Llama3Regex =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2Regex =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>DeepSeek LLM's six Split regexes, applied in turn before a ByteLevel without its own regex.</summary>
    private static readonly string[] DeepSeekLlmRegexes =
    [
        "[\r\n]",
        "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\U00010400-\U0001044F\U000104B0-\U000104D3\U000104D8-\U000104FB\U00010C80-\U00010CB2\U00010CC0-\U00010CF2\U000118A0-\U000118DF\U0001E900-\U0001E943]+",
        "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+",
        "\\s+$",
        "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+",
        "\\p{N}+",
    ];

    /// <summary>
    /// The types recognised: GPT-2's ByteLevel regex; a Split on Llama 3's or Qwen2's regex before a plain ByteLevel;
    /// Falcon's Punctuation, ByteLevel, Digits and three-digit Split; DeepSeek LLM's six Splits before a plain
    /// ByteLevel; StarCoder's single Digits before ByteLevel.
    /// </summary>
    public static readonly IReadOnlyList<string> Known = ["gpt-2", "llama-bpe", "qwen2", "falcon", "deepseek-llm", "starcoder"];

    public static string Detect(JsonNode? preTokenizer, string source)
    {
        if (IsByteLevel(preTokenizer, useRegex: true)) return "gpt-2";
        if ((string?)preTokenizer?["type"] == "Sequence" && preTokenizer["pretokenizers"] is JsonArray steps
            && SequenceType(steps) is { } type)
            return type;
        var summary = preTokenizer?.ToJsonString() ?? "null";
        if (summary.Length > 160) summary = summary[..160] + "...";
        throw new SimperException($"{source}: pre_tokenizer {summary} is not one llama.cpp knows ({string.Join(", ", Known)}); " +
            "it is not exported, as llama.cpp's \"default\" would tokenize differently");
    }

    private static string? SequenceType(JsonArray steps)
    {
        if (steps.Count == 2 && IsByteLevel(steps[1], useRegex: false))
        {
            if (IsSplit(steps[0], Llama3Regex)) return "llama-bpe";
            if (IsSplit(steps[0], Qwen2Regex)) return "qwen2";
        }
        if (steps.Count == 4 && (string?)steps[0]?["type"] == "Punctuation" && (string?)steps[0]!["behavior"] == "Contiguous"
            && IsByteLevel(steps[1], useRegex: true) && IsDigits(steps[2], individual: false) && IsSplit(steps[3], "[0-9][0-9][0-9]"))
            return "falcon";
        if (steps.Count == DeepSeekLlmRegexes.Length + 1 && IsByteLevel(steps[^1], useRegex: false)
            && DeepSeekLlmRegexes.Select((regex, i) => IsSplit(steps[i], regex)).All(matches => matches))
            return "deepseek-llm";
        if (steps.Count == 2 && IsDigits(steps[0], individual: true) && IsByteLevel(steps[1], useRegex: true))
            return "starcoder";
        return null;
    }

    /// <summary>A ByteLevel step without a prefix space, splitting with GPT-2's regex (<paramref name="useRegex"/>) or not.</summary>
    private static bool IsByteLevel(JsonNode? node, bool useRegex) =>
        (string?)node?["type"] == "ByteLevel" && !((bool?)node["add_prefix_space"] ?? false)
        && ((bool?)node["use_regex"] ?? true) == useRegex;

    /// <summary>A Split that keeps each match of <paramref name="regex"/> as its own piece (llama.cpp's only way of splitting).</summary>
    private static bool IsSplit(JsonNode? node, string regex) =>
        (string?)node?["type"] == "Split" && (string?)node["pattern"]?["Regex"] == regex
        && (string?)node["behavior"] == "Isolated" && !((bool?)node["invert"] ?? false);

    private static bool IsDigits(JsonNode? node, bool individual) =>
        (string?)node?["type"] == "Digits" && ((bool?)node["individual_digits"] ?? false) == individual;
}
