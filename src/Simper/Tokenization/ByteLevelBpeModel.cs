using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Simper.Tokenization;

/// <summary>
/// Byte-level BPE (GPT-2, Llama-3, Qwen2): regex pre-tokenization, bytes mapped to printable characters, BPE merges.
/// All of it is Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>; this class adds the ByteLevel pre-tokenizer's
/// add_prefix_space and the NFC normalizer some models declare.
/// </summary>
internal sealed class ByteLevelBpeModel : ITokenModel
{
    /// <summary>GPT-2's pre-tokenizer pattern, used by a ByteLevel pre-tokenizer with use_regex.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly BpeTokenizer _bpe;
    private readonly bool _addPrefixSpace;
    private readonly bool _nfc;
    private readonly Dictionary<int, string> _tokens = [];

    public ByteLevelBpeModel(IReadOnlyDictionary<string, int> vocab, IEnumerable<string> merges, string pattern,
        bool addPrefixSpace, bool nfc)
    {
        _bpe = BpeTokenizer.Create(new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), null),
        });
        foreach (var (token, id) in vocab) _tokens.TryAdd(id, token);
        Count = vocab.Count;
        _addPrefixSpace = addPrefixSpace;
        _nfc = nfc;
    }

    public int Count { get; }
    public Tokenizer Reference => _bpe;

    public void Encode(string text, bool atStart, List<int> ids)
    {
        if (text.Length == 0) return;
        if (_nfc) text = text.Normalize(NormalizationForm.FormC);
        if (_addPrefixSpace && text[0] != ' ') text = " " + text;
        ids.AddRange(_bpe.EncodeToIds(text, considerPreTokenization: true, considerNormalization: false));
    }

    public string Decode(List<int> ids, bool atStart) => _bpe.Decode(ids);

    public int? TokenToId(string token) => _bpe.Vocabulary.TryGetValue(token, out var id) ? id : null;

    public string? IdToToken(int id) => _tokens.GetValueOrDefault(id);
}
