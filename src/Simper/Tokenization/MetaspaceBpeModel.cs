using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Simper.Tokenization;

/// <summary>
/// SentencePiece-style BPE (Llama-2, Mistral, TinyLlama): spaces become "▁", a "▁" may be prepended, characters
/// outside the vocabulary fall back to &lt;0xNN&gt; byte tokens. The merging itself is Microsoft.ML.Tokenizers'
/// <see cref="BpeTokenizer"/>; the normalization, byte fallback and decoding (which that class lacks) are here.
/// </summary>
internal sealed class MetaspaceBpeModel : ITokenModel
{
    private const char Meta = '\u2581';

    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<string, int> _vocab;
    private readonly string[] _tokens;
    private readonly int[]? _byteIds;
    private readonly int?[] _byteOfId;
    private readonly int? _unkId;
    private readonly bool _addDummyPrefix;
    private readonly bool _removeExtraWhitespaces;
    private readonly bool[] _knownBmp = new bool[char.MaxValue + 1];
    private readonly HashSet<int> _knownAstral = [];
    private readonly Lazy<Tokenizer> _reference;

    /// <param name="vocab">Token to id, byte tokens included.</param>
    /// <param name="merges">"left right" pairs in priority order.</param>
    /// <param name="byteFallback">Encode unknown characters as their UTF-8 bytes (&lt;0xNN&gt; tokens).</param>
    public MetaspaceBpeModel(IReadOnlyDictionary<string, int> vocab, IEnumerable<string> merges, string? unkToken,
        bool byteFallback, bool addDummyPrefix, bool removeExtraWhitespaces, Func<Tokenizer>? reference = null)
    {
        _vocab = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        _tokens = new string[vocab.Values.Max() + 1];
        foreach (var (token, id) in vocab) _tokens[id] = token;
        _byteOfId = new int?[_tokens.Length];
        if (byteFallback)
        {
            _byteIds = new int[256];
            for (int b = 0; b < 256; b++)
            {
                if (!vocab.TryGetValue($"<0x{b:X2}>", out _byteIds[b]))
                    throw new SimperException($"tokenizer: byte fallback is on but the vocabulary has no token <0x{b:X2}>.");
                _byteOfId[_byteIds[b]] = b;
            }
        }
        _unkId = unkToken != null && vocab.TryGetValue(unkToken, out var unk) ? unk : null;
        _addDummyPrefix = addDummyPrefix;
        _removeExtraWhitespaces = removeExtraWhitespaces;
        foreach (var token in vocab.Keys)
        {
            if (token.Length == 1) _knownBmp[token[0]] = true;
            else if (token.Length == 2 && char.IsSurrogatePair(token[0], token[1])) _knownAstral.Add(char.ConvertToUtf32(token[0], token[1]));
        }
        _bpe = BpeTokenizer.Create(new BpeOptions(vocab)
        {
            Merges = merges,
            PreTokenizer = new RegexPreTokenizer(new Regex(WordPattern(vocab.Keys), RegexOptions.Compiled), null),
        });
        _reference = new Lazy<Tokenizer>(reference ?? (() => _bpe));
    }

    public int Count => _vocab.Count;
    public Tokenizer Reference => _reference.Value;

    /// <summary>
    /// When no token holds a "▁" after another character, no merge crosses the start of a "▁" run, so the text can be
    /// cut there into words (which lets the BPE cache them) without changing the result.
    /// </summary>
    private static string WordPattern(IEnumerable<string> tokens)
    {
        bool mergesCrossWords = tokens.Any(t =>
        {
            for (int i = 1; i < t.Length; i++) if (t[i] == Meta && t[i - 1] != Meta) return true;
            return false;
        });
        return mergesCrossWords ? "(?s).+" : "\u2581*[^\u2581]+|\u2581+";
    }

    public void Encode(string text, bool atStart, List<int> ids)
    {
        if (_removeExtraWhitespaces) text = CollapseSpaces(text);
        if (text.Length == 0) return;
        bool prepend = _addDummyPrefix;
        var normalized = (prepend ? Meta + text : text).Replace(' ', Meta);

        int runStart = 0;
        for (int i = 0; i < normalized.Length;)
        {
            int width = char.IsSurrogatePair(normalized, i) ? 2 : 1;
            bool known = width == 1 ? _knownBmp[normalized[i]] : _knownAstral.Contains(char.ConvertToUtf32(normalized, i));
            if (!known)
            {
                EncodeKnown(normalized, runStart, i, ids);
                EncodeUnknown(normalized.AsSpan(i, width), ids);
                runStart = i + width;
            }
            i += width;
        }
        EncodeKnown(normalized, runStart, normalized.Length, ids);
    }

    private void EncodeKnown(string text, int start, int end, List<int> ids)
    {
        if (end <= start) return;
        var run = start == 0 && end == text.Length ? text : text[start..end];
        ids.AddRange(_bpe.EncodeToIds(run, considerPreTokenization: true, considerNormalization: false));
    }

    private void EncodeUnknown(ReadOnlySpan<char> character, List<int> ids)
    {
        if (_byteIds != null)
        {
            Span<byte> bytes = stackalloc byte[4];
            int n = Encoding.UTF8.GetBytes(character, bytes);
            for (int b = 0; b < n; b++) ids.Add(_byteIds[bytes[b]]);
        }
        // SentencePiece fuses a run of unknown characters into one unknown token.
        else if (_unkId is int unk && (ids.Count == 0 || ids[^1] != unk)) ids.Add(unk);
        else if (_unkId is null) throw new SimperException($"tokenizer: character '{character}' is not in the vocabulary and the tokenizer has neither byte fallback nor an unknown token.");
    }

    private static string CollapseSpaces(string text) =>
        string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    public string Decode(List<int> ids, bool atStart)
    {
        var text = new StringBuilder();
        var pendingBytes = new List<byte>();
        foreach (var id in ids)
        {
            if ((uint)id < (uint)_byteOfId.Length && _byteOfId[id] is int b) { pendingBytes.Add((byte)b); continue; }
            FlushBytes(pendingBytes, text);
            text.Append(IdToToken(id)?.Replace(Meta, ' '));
        }
        FlushBytes(pendingBytes, text);
        // The decoder strips the one space the encoder prepended (Hugging Face's Strip decoder, SentencePiece's decode).
        if (atStart && _addDummyPrefix && text.Length > 0 && text[0] == ' ') text.Remove(0, 1);
        return text.ToString();
    }

    private static void FlushBytes(List<byte> bytes, StringBuilder text)
    {
        if (bytes.Count == 0) return;
        text.Append(Encoding.UTF8.GetString(bytes.ToArray()));
        bytes.Clear();
    }

    public int? TokenToId(string token) => _vocab.TryGetValue(token, out var id) ? id : null;

    public string? IdToToken(int id) => (uint)id < (uint)_tokens.Length ? _tokens[id] : null;
}
