using System.Text.Json.Nodes;

namespace Simper.Tokenization;

/// <summary>
/// The component types Hugging Face's tokenizers library reads in a <c>tokenizer.json</c>, by section. The library
/// itself only says "data did not match any variant of untagged enum PreTokenizerUntagged at line 1 column 2011"
/// when a type is unknown; this names the component instead.
/// </summary>
internal static class TokenizerComponents
{
    private static readonly Dictionary<string, string[]> Known = new()
    {
        ["normalizer"] = ["BertNormalizer", "Strip", "StripAccents", "NFC", "NFD", "NFKC", "NFKD", "Sequence",
                          "Lowercase", "Nmt", "Precompiled", "Replace", "Prepend", "ByteLevel"],
        ["pre_tokenizer"] = ["BertPreTokenizer", "ByteLevel", "CharDelimiterSplit", "Metaspace", "Whitespace",
                             "Sequence", "Split", "Punctuation", "WhitespaceSplit", "Digits", "UnicodeScripts", "FixedLength"],
        ["model"] = ["BPE", "WordPiece", "WordLevel", "Unigram"],
        ["decoder"] = ["BPEDecoder", "ByteLevel", "WordPiece", "Metaspace", "CTC", "Sequence", "Replace", "Fuse",
                       "Strip", "ByteFallback"],
        ["post_processor"] = ["RobertaProcessing", "BertProcessing", "ByteLevel", "TemplateProcessing", "Sequence"],
    };

    /// <summary>The first component of an unknown type, as "pre_tokenizer type \"Bogus\"", or null when all are known.</summary>
    public static string? FindUnknown(JsonObject root)
    {
        foreach (var (section, types) in Known)
        {
            foreach (var step in Flatten(root[section]))
            {
                if (step is not JsonObject o || o["type"] is not JsonValue v || !v.TryGetValue<string>(out var type)) continue;
                if (!types.Contains(type, StringComparer.Ordinal)) return $"{section} type \"{type}\"";
            }
        }
        return null;
    }

    /// <summary>A component and, for a Sequence, its members.</summary>
    public static IEnumerable<JsonNode> Flatten(JsonNode? step)
    {
        if (step is null) yield break;
        yield return step;
        foreach (var key in new[] { "pretokenizers", "normalizers", "decoders", "processors" })
            foreach (var inner in step[key] as JsonArray ?? [])
                foreach (var s in Flatten(inner)) yield return s;
    }
}
