using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simper.Export;

/// <summary>
/// The tokenizer inside the GGUF file, read straight from the model folder's files as convert_hf_to_gguf.py reads
/// them: a SentencePiece <c>tokenizer.model</c> as <c>llama</c> (pieces, scores, types), else a byte-level BPE
/// (<c>tokenizer.json</c>, or <c>vocab.json</c> + <c>merges.txt</c>) as <c>gpt2</c> with its pre-tokenizer type and
/// merges; then the special ids, add_bos/add_eos and the chat template.
/// </summary>
public static class GgufTokenizer
{
    private const int Normal = 1, Control = 3, UserDefined = 4, Unused = 5;

    private sealed class Vocabulary
    {
        public required string Model { get; init; }
        public string Pre { get; init; } = "default";
        public List<string> Tokens { get; } = [];
        public List<float>? Scores { get; init; }
        public List<int> Types { get; } = [];
        public List<string>? Merges { get; init; }
        public bool DefaultAddBos { get; init; }
        public bool? TemplateAddBos { get; init; }
        public bool? TemplateAddEos { get; init; }
    }

    /// <summary>Adds the tokenizer.* keys for the files in <paramref name="dir"/>, padding the vocabulary to <paramref name="vocabSize"/>.</summary>
    public static void AddTo(GgufWriter writer, string dir, int vocabSize)
    {
        var vocabulary = Read(dir, vocabSize);
        var tokenizerConfig = ReadJson(Path.Combine(dir, "tokenizer_config.json"));
        var specialMap = ReadJson(Path.Combine(dir, "special_tokens_map.json"));
        var modelConfig = ReadJson(Path.Combine(dir, "config.json"));

        writer.Add("tokenizer.ggml.model", vocabulary.Model);
        writer.Add("tokenizer.ggml.pre", vocabulary.Pre);
        writer.Add("tokenizer.ggml.tokens", vocabulary.Tokens);
        if (vocabulary.Scores != null) writer.Add("tokenizer.ggml.scores", vocabulary.Scores);
        writer.Add("tokenizer.ggml.token_type", vocabulary.Types);
        if (vocabulary.Merges != null) writer.Add("tokenizer.ggml.merges", vocabulary.Merges);

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = vocabulary.Tokens.Count - 1; i >= 0; i--) ids[vocabulary.Tokens[i]] = i;
        foreach (var (name, key) in new[] { ("bos", "bos_token"), ("eos", "eos_token"), ("unknown", "unk_token"), ("padding", "pad_token") })
        {
            var content = TokenContent(tokenizerConfig?[key]) ?? TokenContent(specialMap?[key]);
            int? id = content != null && ids.TryGetValue(content, out var found) ? found : ConfigId(modelConfig, key + "_id");
            if (id is int i && i >= 0 && i < vocabulary.Tokens.Count) writer.Add($"tokenizer.ggml.{name}_token_id", (uint)i);
        }
        writer.Add("tokenizer.ggml.add_bos_token",
            (bool?)tokenizerConfig?["add_bos_token"] ?? vocabulary.TemplateAddBos ?? vocabulary.DefaultAddBos);
        writer.Add("tokenizer.ggml.add_eos_token", (bool?)tokenizerConfig?["add_eos_token"] ?? vocabulary.TemplateAddEos ?? false);

        var templateFile = Path.Combine(dir, "chat_template.jinja");
        var template = ChatTemplate(tokenizerConfig?["chat_template"]) ?? (File.Exists(templateFile) ? File.ReadAllText(templateFile) : null);
        if (template != null) writer.Add("tokenizer.chat_template", template);
    }

    private static Vocabulary Read(string dir, int vocabSize)
    {
        var addedDecoder = ReadJson(Path.Combine(dir, "tokenizer_config.json"))?["added_tokens_decoder"] as JsonObject;
        var spm = Path.Combine(dir, "tokenizer.model");
        if (File.Exists(spm)) return SentencePiece(spm, vocabSize, addedDecoder);
        var json = Path.Combine(dir, "tokenizer.json");
        if (File.Exists(json)) return TokenizerJson(json, vocabSize, addedDecoder);
        string vocabFile = Path.Combine(dir, "vocab.json"), mergesFile = Path.Combine(dir, "merges.txt");
        if (File.Exists(vocabFile) && File.Exists(mergesFile))
        {
            var vocab = JsonNode.Parse(File.ReadAllText(vocabFile)) as JsonObject
                        ?? throw new SimperException($"{vocabFile}: expected a JSON object of token to id");
            var merges = File.ReadLines(mergesFile).Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal)).ToList();
            return ByteLevel(vocab, merges, [], "gpt-2", vocabSize, addedDecoder, templateAddBos: null, templateAddEos: null);
        }
        throw new SimperException($"{dir}: no tokenizer found; expected tokenizer.model, tokenizer.json, or vocab.json + merges.txt");
    }

    private static Vocabulary SentencePiece(string path, int vocabSize, JsonObject? addedDecoder)
    {
        var pieces = SentencePiecePieces.Read(path);
        var v = new Vocabulary { Model = "llama", Scores = [], DefaultAddBos = true };
        foreach (var p in pieces) { v.Tokens.Add(p.Text); v.Scores!.Add(p.Score); v.Types.Add(p.Type); }
        Pad(v, Math.Max(vocabSize, MaxAddedId(addedDecoder) + 1), withScores: true);
        // As the converter does: the tokens tokenizer_config.json declares override the pieces at their ids.
        foreach (var (id, data) in addedDecoder ?? [])
        {
            if (!int.TryParse(id, out var i) || data?["content"] is not JsonValue c) continue;
            var special = (bool?)data["special"] ?? false;
            v.Tokens[i] = special ? c.GetValue<string>() : c.GetValue<string>().Replace('\u2581', ' ');
            v.Types[i] = special ? Control : UserDefined;
            v.Scores![i] = -1000f;
        }
        return v;
    }

    private static Vocabulary TokenizerJson(string path, int vocabSize, JsonObject? addedDecoder)
    {
        JsonObject root;
        try { root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not a JSON object"); }
        catch (JsonException e) { throw new SimperException($"{path}: invalid JSON ({e.Message.Split('\n')[0]})", e); }
        var model = root["model"] as JsonObject;
        if ((string?)model?["type"] != "BPE" || model["vocab"] is not JsonObject vocab)
            throw new SimperException($"{path}: model type \"{(string?)model?["type"]}\" without a tokenizer.model cannot be exported; expected a byte-level BPE");
        var merges = (model["merges"] as JsonArray ?? []).Select(m => m is JsonArray pair
            ? $"{(string?)pair[0]} {(string?)pair[1]}" : (string)m!).ToList();
        var added = (root["added_tokens"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(t => ((int)t["id"]!, (string)t["content"]!, (bool?)t["special"] ?? false)).ToList();
        var pre = PreTokenizerType.Detect(root["pre_tokenizer"], path);
        var (addBos, addEos) = TemplateSpecials(root["post_processor"]);
        return ByteLevel(vocab, merges, added, pre, vocabSize, addedDecoder, addBos, addEos);
    }

    private static Vocabulary ByteLevel(JsonObject vocab, List<string> merges, List<(int Id, string Content, bool Special)> added,
        string pre, int vocabSize, JsonObject? addedDecoder, bool? templateAddBos, bool? templateAddEos)
    {
        foreach (var (id, data) in addedDecoder ?? [])
            if (int.TryParse(id, out var i) && data?["content"] is JsonValue c)
                added.Add((i, c.GetValue<string>(), (bool?)data["special"] ?? false));
        var byId = new SortedDictionary<int, (string Text, int Type)>();
        foreach (var (token, id) in vocab) byId[(int)id!] = (token, Normal);
        foreach (var (id, content, special) in added) byId[id] = (content, special ? Control : UserDefined);
        var size = Math.Max(vocabSize, byId.Count == 0 ? 0 : byId.Keys.Max() + 1);
        var v = new Vocabulary { Model = "gpt2", Pre = pre, Merges = merges, TemplateAddBos = templateAddBos, TemplateAddEos = templateAddEos };
        for (int i = 0; i < size; i++)
        {
            // Ids the vocabulary leaves out (the embedding is often padded to a multiple of 64 or 128) are unused.
            var (text, type) = byId.TryGetValue(i, out var t) ? t : ($"[PAD{i}]", Unused);
            v.Tokens.Add(text);
            v.Types.Add(type);
        }
        return v;
    }

    private static void Pad(Vocabulary v, int size, bool withScores)
    {
        for (int i = v.Tokens.Count; i < size; i++)
        {
            v.Tokens.Add($"[PAD{i}]");
            v.Types.Add(Unused);
            if (withScores) v.Scores!.Add(-1000f);
        }
    }

    private static int MaxAddedId(JsonObject? addedDecoder) =>
        (addedDecoder ?? []).Select(kv => int.TryParse(kv.Key, out var i) ? i : -1).DefaultIfEmpty(-1).Max();

    /// <summary>Whether a TemplateProcessing post-processor puts a special token before (BOS) or after (EOS) a single sequence.</summary>
    private static (bool? Bos, bool? Eos) TemplateSpecials(JsonNode? postProcessor)
    {
        if ((string?)postProcessor?["type"] != "TemplateProcessing" || postProcessor["single"] is not JsonArray single || single.Count == 0)
            return (null, null);
        return (single[0]?["SpecialToken"] != null, single[^1]?["SpecialToken"] != null);
    }

    private static int? ConfigId(JsonNode? config, string key)
    {
        var node = config?[key] is JsonArray { Count: > 0 } list ? list[0] : config?[key];
        return node is JsonValue v && v.TryGetValue<int>(out var id) ? id : null;
    }

    private static string? TokenContent(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o => (string?)o["content"],
        _ => null,
    };

    private static string? ChatTemplate(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray list => list.Where(t => (string?)t?["name"] == "default").Select(t => (string?)t?["template"]).FirstOrDefault(),
        _ => null,
    };

    private static JsonNode? ReadJson(string path)
    {
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new SimperException($"{path}: invalid JSON ({e.Message.Split('\n')[0]})", e); }
    }
}
