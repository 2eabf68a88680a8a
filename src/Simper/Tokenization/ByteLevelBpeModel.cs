using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Simper.Tokenization;

/// <summary>
/// GPT-2's byte-level BPE from vocab.json + merges.txt: GPT-2's regex pre-tokenization, bytes mapped to printable
/// characters, BPE merges, all of it Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>. (A tokenizer.json goes to
/// Hugging Face's own library instead.)
/// </summary>
internal sealed class ByteLevelBpeModel : ITokenModel
{
    /// <summary>GPT-2's pre-tokenizer pattern.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<int, string> _tokens = [];

    public ByteLevelBpeModel(IReadOnlyDictionary<string, int> vocab, IEnumerable<string> merges)
    {
        _bpe = BpeTokenizer.Create(new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(new Regex(Gpt2Pattern, RegexOptions.Compiled), null),
        });
        foreach (var (token, id) in vocab) _tokens.TryAdd(id, token);
        Count = vocab.Count;
    }

    public int Count { get; }
    public Tokenizer Reference => _bpe;

    public void Encode(string text, bool atStart, List<int> ids)
    {
        if (text.Length == 0) return;
        ids.AddRange(_bpe.EncodeToIds(text, considerPreTokenization: true, considerNormalization: false));
    }

    public string Decode(List<int> ids, bool atStart) => _bpe.Decode(ids);

    public int? TokenToId(string token) => _bpe.Vocabulary.TryGetValue(token, out var id) ? id : null;

    public string? IdToToken(int id) => _tokens.GetValueOrDefault(id);
}
