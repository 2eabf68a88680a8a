using System.Text.Json.Nodes;

namespace Simper.Export;

/// <summary>
/// Names a tokenizer.json pre-tokenizer by llama.cpp's <c>tokenizer.ggml.pre</c> types. llama.cpp splits text with
/// its own built-in rules per type, so a pre-tokenizer it does not know is refused: written as "default" it would
/// tokenize differently from the model's training.
/// </summary>
public static class PreTokenizerType
{
    private const string Llama3Regex =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2Regex =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>The types recognised: GPT-2's ByteLevel regex, and a Split on Llama 3's or Qwen2's regex before a plain ByteLevel.</summary>
    public static readonly IReadOnlyList<string> Known = ["gpt-2", "llama-bpe", "qwen2"];

    public static string Detect(JsonNode? preTokenizer, string source)
    {
        if (IsByteLevel(preTokenizer, useRegex: true)) return "gpt-2";
        if ((string?)preTokenizer?["type"] == "Sequence" && preTokenizer["pretokenizers"] is JsonArray { Count: 2 } steps
            && (string?)steps[0]?["type"] == "Split" && IsByteLevel(steps[1], useRegex: false))
        {
            var regex = (string?)steps[0]!["pattern"]?["Regex"];
            if (regex == Llama3Regex) return "llama-bpe";
            if (regex == Qwen2Regex) return "qwen2";
        }
        var summary = preTokenizer?.ToJsonString() ?? "null";
        if (summary.Length > 160) summary = summary[..160] + "...";
        throw new SimperException($"{source}: pre_tokenizer {summary} is not one llama.cpp knows ({string.Join(", ", Known)}); " +
            "it is not exported, as llama.cpp's \"default\" would tokenize differently");
    }

    /// <summary>A ByteLevel step without a prefix space, splitting with GPT-2's regex (<paramref name="useRegex"/>) or not.</summary>
    private static bool IsByteLevel(JsonNode? node, bool useRegex) =>
        (string?)node?["type"] == "ByteLevel" && !((bool?)node["add_prefix_space"] ?? false)
        && ((bool?)node["use_regex"] ?? true) == useRegex;
}
