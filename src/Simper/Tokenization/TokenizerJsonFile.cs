using System.Text.Json.Nodes;

namespace Simper.Tokenization;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> whose model is BPE: byte-level (ByteLevel pre-tokenizer, optionally
/// after a Split regex) or SentencePiece-style (Metaspace, or Prepend/Replace "▁" normalizers, byte fallback).
/// </summary>
internal static class TokenizerJsonFile
{
    public sealed record Loaded(ITokenModel Model, List<AddedToken> AddedTokens, string? TemplateBos, string? TemplateEos);

    public static Loaded Read(string path)
    {
        JsonNode root;
        try { root = JsonNode.Parse(File.ReadAllText(path)) ?? throw new SimperException($"{path}: empty JSON."); }
        catch (System.Text.Json.JsonException e) { throw new SimperException($"{path}: invalid JSON ({e.Message}).", e); }

        var model = root["model"] as JsonObject ?? throw new SimperException($"{path}: field 'model' is missing.");
        var type = (string?)model["type"] ?? "BPE";
        if (type != "BPE") throw new SimperException($"{path}: model.type is '{type}'; only 'BPE' is supported.");
        var vocab = (model["vocab"] as JsonObject ?? throw new SimperException($"{path}: model.vocab is missing or not an object."))
            .ToDictionary(kv => kv.Key, kv => (int)kv.Value!, StringComparer.Ordinal);
        var merges = ReadMerges(path, model["merges"] as JsonArray);

        var added = new List<AddedToken>();
        foreach (var t in root["added_tokens"] as JsonArray ?? [])
        {
            added.Add(new AddedToken((int)t!["id"]!, (string)t["content"]!, (bool?)t["special"] ?? false,
                (bool?)t["lstrip"] ?? false, (bool?)t["rstrip"] ?? false, (bool?)t["single_word"] ?? false,
                (bool?)t["normalized"] ?? false));
        }

        var steps = Flatten(root["pre_tokenizer"]).Concat(Flatten(root["normalizer"])).ToList();
        var byteLevel = steps.FirstOrDefault(s => (string?)s["type"] == "ByteLevel")
                        ?? Flatten(root["decoder"]).FirstOrDefault(s => (string?)s["type"] == "ByteLevel");
        ITokenModel tokenModel = byteLevel != null
            ? ByteLevel(path, vocab, merges, steps, byteLevel)
            : Metaspace(vocab, merges, model, steps);
        var (bos, eos) = TemplateSpecialTokens(root["post_processor"]);
        return new Loaded(tokenModel, added, bos, eos);
    }

    private static List<string> ReadMerges(string path, JsonArray? merges)
    {
        var result = new List<string>(merges?.Count ?? 0);
        foreach (var m in merges ?? [])
        {
            // Older files write "left right"; newer ones write ["left", "right"].
            var merge = m is JsonArray pair && pair.Count == 2 ? $"{(string?)pair[0]} {(string?)pair[1]}" : (string?)m;
            if (merge is null || merge.Split(' ').Length != 2)
                throw new SimperException($"{path}: model.merges entry {result.Count} is '{m?.ToJsonString()}'; expected \"left right\" or [\"left\", \"right\"] without spaces inside the tokens.");
            result.Add(merge);
        }
        return result;
    }

    private static ByteLevelBpeModel ByteLevel(string path, Dictionary<string, int> vocab, List<string> merges,
        List<JsonNode> steps, JsonNode byteLevel)
    {
        var splits = steps.Where(s => (string?)s["type"] == "Split").ToList();
        if (splits.Count > 1) throw new SimperException($"{path}: {splits.Count} Split pre-tokenizers; only one is supported.");
        string pattern = ByteLevelBpeModel.Gpt2Pattern;
        if (splits.Count == 1)
        {
            var split = splits[0];
            var behavior = (string?)split["behavior"];
            if (behavior != "Isolated" || ((bool?)split["invert"] ?? false))
                throw new SimperException($"{path}: Split pre-tokenizer with behavior '{behavior}'; only 'Isolated' (not inverted) is supported.");
            pattern = (string?)split["pattern"]?["Regex"]
                      ?? System.Text.RegularExpressions.Regex.Escape((string?)split["pattern"]?["String"] ?? "");
        }
        else if (!((bool?)byteLevel["use_regex"] ?? true))
        {
            pattern = "(?s).+";
        }
        bool nfc = steps.Any(s => (string?)s["type"] == "NFC");
        return new ByteLevelBpeModel(vocab, merges, pattern, (bool?)byteLevel["add_prefix_space"] ?? false, nfc);
    }

    private static MetaspaceBpeModel Metaspace(Dictionary<string, int> vocab, List<string> merges, JsonNode model, List<JsonNode> steps)
    {
        var prepend = MetaspacePrepend.Never;
        foreach (var s in steps)
        {
            switch ((string?)s["type"])
            {
                case "Prepend" when (string?)s["prepend"] == "\u2581":
                    prepend = MetaspacePrepend.Always;
                    break;
                case "Metaspace":
                    prepend = (string?)s["prepend_scheme"] switch
                    {
                        "first" => MetaspacePrepend.First,
                        "never" => MetaspacePrepend.Never,
                        "always" => MetaspacePrepend.Always,
                        _ => (bool?)s["add_prefix_space"] ?? true ? MetaspacePrepend.Always : MetaspacePrepend.Never,
                    };
                    break;
            }
        }
        return new MetaspaceBpeModel(vocab, merges, (string?)model["unk_token"], (bool?)model["byte_fallback"] ?? false,
            prepend, removeExtraWhitespaces: false);
    }

    /// <summary>A normalizer / pre-tokenizer / decoder and, for a Sequence, its members.</summary>
    private static IEnumerable<JsonNode> Flatten(JsonNode? step)
    {
        if (step is null) yield break;
        yield return step;
        foreach (var key in new[] { "pretokenizers", "normalizers", "decoders", "processors" })
            foreach (var inner in step[key] as JsonArray ?? [])
                foreach (var s in Flatten(inner)) yield return s;
    }

    /// <summary>The special tokens a TemplateProcessing post-processor puts before and after a single sequence.</summary>
    private static (string? Bos, string? Eos) TemplateSpecialTokens(JsonNode? postProcessor)
    {
        var template = Flatten(postProcessor).FirstOrDefault(p => (string?)p["type"] == "TemplateProcessing");
        if (template?["single"] is not JsonArray { Count: > 0 } single) return (null, null);
        static string? Special(JsonNode? item) => (string?)item?["SpecialToken"]?["id"];
        var bos = Special(single[0]);
        var eos = single.Count > 1 ? Special(single[^1]) : null;
        return (bos, eos);
    }
}
