using System.Text;
using System.Text.Json;

namespace Simper.Tokenization;

/// <summary>
/// A model's tokenizer read from its folder as Hugging Face reads it: <c>tokenizer.json</c> (encoded by Hugging Face's
/// own tokenizers library), or <c>vocab.json</c> + <c>merges.txt</c>, or a SentencePiece <c>tokenizer.model</c>
/// (assembled here on Microsoft.ML.Tokenizers), configured by <c>tokenizer_config.json</c>.
/// </summary>
public sealed class ModelTokenizer
{
    private readonly ITokenVocabulary _vocabulary;
    private readonly ITokenModel? _model;            // vocab.json + merges.txt, tokenizer.model: assembled here
    private readonly AddedTokenSplitter? _splitter;
    private readonly HuggingFaceTokenizer? _library;  // tokenizer.json: Hugging Face's own library
    private readonly Dictionary<int, AddedToken> _addedById = [];
    private readonly Dictionary<string, int> _addedByContent = new(StringComparer.Ordinal);
    private readonly bool _cleanUpSpaces;

    private ModelTokenizer(ITokenVocabulary vocabulary, IEnumerable<AddedToken> addedTokens, TokenizerConfig config,
        Defaults defaults, Func<IReadOnlyCollection<AddedToken>, HuggingFaceTokenizer>? library = null)
    {
        _vocabulary = vocabulary;
        foreach (var t in addedTokens.Concat(config.AddedTokens))
        {
            if (_addedById.TryAdd(t.Id, t)) _addedByContent.TryAdd(t.Content, t.Id);
        }

        (BosToken, BosTokenId) = ResolveSpecial(config, "bos_token", defaults.Bos);
        (EosToken, EosTokenId) = ResolveSpecial(config, "eos_token", defaults.Eos);
        (PadToken, PadTokenId) = ResolveSpecial(config, "pad_token", defaults.Pad);
        (_, UnkTokenId) = ResolveSpecial(config, "unk_token", defaults.Unk);
        // Hugging Face registers the named special tokens as added tokens, so they are never split into pieces.
        foreach (var (token, id) in new[] { (BosToken, BosTokenId), (EosToken, EosTokenId), (PadToken, PadTokenId) })
        {
            if (token != null && id is int i && !_addedById.ContainsKey(i) && !_addedByContent.ContainsKey(token))
            {
                _addedById[i] = new AddedToken(i, token, Special: true);
                _addedByContent[token] = i;
            }
        }
        if (library != null) _library = library(_addedById.Values);
        else
        {
            _model = (ITokenModel)vocabulary;
            _splitter = new AddedTokenSplitter(_addedById.Values);
        }

        AddBosToken = config.AddBosToken ?? defaults.AddBos;
        AddEosToken = config.AddEosToken ?? defaults.AddEos;
        ChatTemplate = config.ChatTemplate;
        ModelMaxLength = config.ModelMaxLength;
        _cleanUpSpaces = config.CleanUpTokenizationSpaces;
        VocabSize = vocabulary.Count + _addedById.Keys.Count(id => id >= vocabulary.Count);
    }

    /// <summary>Special tokens and BOS/EOS behaviour of the tokenizer class when tokenizer_config.json is silent.</summary>
    private sealed record Defaults(string? Bos, string? Eos, string? Unk, string? Pad, bool AddBos, bool AddEos);

    /// <summary>Loads the tokenizer in <paramref name="dir"/>.</summary>
    public static ModelTokenizer FromFolder(string dir)
    {
        if (!Directory.Exists(dir)) throw new SimperException($"{dir}: tokenizer folder not found.");
        var config = TokenizerConfig.Read(dir);
        bool llamaClass = config.TokenizerClass?.Contains("Llama", StringComparison.Ordinal) ?? false;

        var json = Path.Combine(dir, "tokenizer.json");
        if (File.Exists(json))
        {
            var file = TokenizerJsonFile.Read(json);
            // LlamaTokenizerFast rebuilds the post-processor from add_bos_token (default true); other classes keep the file's.
            var defaults = new Defaults(file.TemplateBos, file.TemplateEos, null, null,
                llamaClass || file.TemplateBos != null, !llamaClass && file.TemplateEos != null);
            return new ModelTokenizer(file.Vocabulary, file.AddedTokens, config, defaults,
                added => new HuggingFaceTokenizer(json, file.Root, added));
        }

        string vocabFile = Path.Combine(dir, "vocab.json"), mergesFile = Path.Combine(dir, "merges.txt");
        if (File.Exists(vocabFile) && File.Exists(mergesFile))
        {
            var model = ReadVocabAndMerges(vocabFile, mergesFile);
            const string endOfText = "<|endoftext|>"; // GPT2Tokenizer's bos, eos and unk
            var defaults = new Defaults(endOfText, endOfText, endOfText, null, AddBos: false, AddEos: false);
            return new ModelTokenizer(model, [], config, defaults);
        }

        var spModel = Path.Combine(dir, "tokenizer.model");
        if (File.Exists(spModel))
        {
            var sp = SentencePieceModelFile.Read(spModel);
            var defaults = new Defaults(sp.Bos, sp.Eos, sp.Unk, sp.Pad, AddBos: true, AddEos: false); // LlamaTokenizer's
            return new ModelTokenizer(sp.Model, sp.AddedTokens, config, defaults);
        }
        throw new SimperException($"{dir}: no tokenizer found; expected tokenizer.json, vocab.json + merges.txt, or tokenizer.model.");
    }

    private static ByteLevelBpeModel ReadVocabAndMerges(string vocabFile, string mergesFile)
    {
        Dictionary<string, int> vocab;
        try { vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabFile)) ?? []; }
        catch (JsonException e) { throw new SimperException($"{vocabFile}: expected a JSON object of token to id ({e.Message}).", e); }
        var merges = File.ReadLines(mergesFile).Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal)).ToList();
        int bad = merges.FindIndex(l => l.Split(' ').Length != 2);
        if (bad >= 0) throw new SimperException($"{mergesFile}: merge '{merges[bad]}' is not two tokens separated by one space.");
        return new ByteLevelBpeModel(vocab, merges);
    }

    private (string? Token, int? Id) ResolveSpecial(TokenizerConfig config, string key, string? fallback)
    {
        var (present, named) = config.SpecialToken(key);
        var token = present ? named : fallback;
        var id = token is null ? null : TokenToId(token);
        if (id is null && config.ConfigIds.TryGetValue(key + "_id", out var configId))
        {
            id = configId;
            token = IdToToken(configId);
        }
        return (token, id);
    }

    public int VocabSize { get; }
    public int? BosTokenId { get; }
    public int? EosTokenId { get; }
    public int? PadTokenId { get; }
    public int? UnkTokenId { get; }
    public string? BosToken { get; }
    public string? EosToken { get; }
    public string? PadToken { get; }
    public bool AddBosToken { get; }
    public bool AddEosToken { get; }
    public string? ChatTemplate { get; }

    /// <summary>tokenizer_config.json's model_max_length, or null when absent or the "no limit" sentinel.</summary>
    public int? ModelMaxLength { get; }

    /// <summary>The added (special and user) tokens, by id.</summary>
    public IReadOnlyDictionary<int, AddedToken> AddedTokens => _addedById;

    /// <summary>Token ids of <paramref name="text"/>; with special tokens, BOS/EOS as add_bos_token/add_eos_token say.</summary>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true)
    {
        var ids = new List<int>(text.Length / 3 + 2);
        if (addSpecialTokens && AddBosToken && BosTokenId is int bos) ids.Add(bos);
        if (_library != null) _library.Encode(text, ids);
        else foreach (var (start, length, token) in _splitter!.Split(text))
        {
            if (token != null) ids.Add(token.Id);
            else _model!.Encode(length == text.Length ? text : text.Substring(start, length), start == 0, ids);
        }
        if (addSpecialTokens && AddEosToken && EosTokenId is int eos) ids.Add(eos);
        return ids;
    }

    /// <summary>The text of <paramref name="ids"/>, as Hugging Face's decode gives it.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        if (_library != null)
        {
            var decoded = _library.Decode(ids, skipSpecialTokens);
            return _cleanUpSpaces ? CleanUpTokenizationSpaces(decoded) : decoded;
        }
        var text = new StringBuilder();
        var run = new List<int>();
        bool atStart = true;
        foreach (var id in ids)
        {
            if (!_addedById.TryGetValue(id, out var added)) { run.Add(id); continue; }
            if (skipSpecialTokens && added.Special) continue;
            Flush();
            text.Append(added.Content);
            atStart = false;
        }
        Flush();
        return _cleanUpSpaces ? CleanUpTokenizationSpaces(text.ToString()) : text.ToString();

        void Flush()
        {
            if (run.Count == 0) return;
            text.Append(_model!.Decode(run, atStart));
            atStart = false;
            run.Clear();
        }
    }

    public int? TokenToId(string token) => _addedByContent.TryGetValue(token, out var id) ? id : _vocabulary.TokenToId(token);

    public string? IdToToken(int id) => _addedById.TryGetValue(id, out var t) ? t.Content : _vocabulary.IdToToken(id);

    /// <summary>The Microsoft.ML.Tokenizers tokenizer doing the model's work alone; null for a tokenizer.json.</summary>
    internal Microsoft.ML.Tokenizers.Tokenizer? ReferenceTokenizer => _model?.Reference;

    /// <summary>
    /// Token ids of each text, encoded on all cores in parallel (each text alone, so the result is exactly that of
    /// <see cref="Encode"/> on it), in the order given.
    /// </summary>
    public IReadOnlyList<int>[] EncodeBatch(IReadOnlyList<string> texts, bool addSpecialTokens = true)
    {
        var result = new IReadOnlyList<int>[texts.Count];
        // No more threads than cores: each busy thread of a tokenizer.json holds a native tokenizer of its own.
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For(0, texts.Count, options, i => result[i] = Encode(texts[i], addSpecialTokens));
        return result;
    }

    /// <summary>Hugging Face's clean_up_tokenization: drops the space tokenizers put before punctuation and contractions.</summary>
    private static string CleanUpTokenizationSpaces(string text) => text
        .Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
        .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");
}
