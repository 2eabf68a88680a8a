using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simper.Tokenization;

/// <summary>
/// A <c>tokenizer.json</c> encoded and decoded by Hugging Face's own tokenizers library (Rust, through
/// Tokenizers.DotNet), so every normalizer, pre-tokenizer, model, added token and decoder behaves exactly as there.
/// </summary>
/// <remarks>
/// The wrapper encodes with the file's post-processor and decodes skipping special tokens, and neither can be
/// switched off; the special-token policy is ours (BOS/EOS from tokenizer_config.json). So the library is handed a
/// copy of the file with no post-processor and with every added token marked non-special: "special" changes
/// nothing in how text is split (the normalized flag does), and our decode drops special ids itself when asked.
/// One native tokenizer serves one call at a time, so concurrent callers each take one from a pool.
/// The library passes added tokens through the decoder like any other; an added token the decoder garbles
/// (DeepSeek's "ü" is a byte-level character, which the ByteLevel decoder turns into the lone byte 0xFC and so
/// into U+FFFD) is written as its own content instead, so decoding never loses text.
/// </remarks>
internal sealed class HuggingFaceTokenizer
{
    private readonly string _path;
    private readonly string _json;
    private readonly HashSet<int> _specialIds;
    private readonly Dictionary<int, string> _literal = [];
    private readonly ConcurrentBag<Tokenizers.DotNet.Tokenizer> _pool = [];

    /// <param name="addedTokens">All added tokens, the file's and those tokenizer_config.json adds.</param>
    public HuggingFaceTokenizer(string path, JsonObject root, IReadOnlyCollection<AddedToken> addedTokens)
    {
        _path = path;
        _specialIds = [.. addedTokens.Where(t => t.Special).Select(t => t.Id)];
        var copy = (JsonObject)root.DeepClone();
        copy["post_processor"] = null;
        copy["added_tokens"] = new JsonArray([.. addedTokens.OrderBy(t => t.Id).Select(t => (JsonNode)new JsonObject
        {
            ["id"] = t.Id, ["content"] = t.Content, ["single_word"] = t.SingleWord, ["lstrip"] = t.LStrip,
            ["rstrip"] = t.RStrip, ["normalized"] = t.Normalized, ["special"] = false,
        })]);
        _json = copy.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var tokenizer = Create(root);
        foreach (var t in addedTokens)
            if (Garbles(tokenizer.Decode([(uint)t.Id]), t.Content)) _literal[t.Id] = t.Content;
        _pool.Add(tokenizer);
    }

    public void Encode(string text, List<int> ids)
    {
        if (text.Length == 0) return;
        var tokenizer = Rent();
        try
        {
            foreach (var id in tokenizer.Encode(text)) ids.Add((int)id);
        }
        finally { _pool.Add(tokenizer); }
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens)
    {
        var kept = ids.Where(id => id >= 0 && !(skipSpecialTokens && _specialIds.Contains(id))).Select(id => (uint)id).ToArray();
        if (kept.Length == 0) return "";
        var tokenizer = Rent();
        try
        {
            if (_literal.Count == 0 || !kept.Any(id => _literal.ContainsKey((int)id))) return tokenizer.Decode(kept);
            var text = new System.Text.StringBuilder();
            int start = 0;
            for (int i = 0; i <= kept.Length; i++)
            {
                if (i < kept.Length && !_literal.ContainsKey((int)kept[i])) continue;
                if (i > start) text.Append(tokenizer.Decode(kept[start..i]));
                if (i < kept.Length) text.Append(_literal[(int)kept[i]]);
                start = i + 1;
            }
            return text.ToString();
        }
        finally { _pool.Add(tokenizer); }
    }

    /// <summary>
    /// Whether decoding an added token alone gave replacement characters its content does not have: the decoder read it
    /// as bytes that are no text. Any other difference (a Metaspace decoder turning "▁" into a space) is the library's
    /// own decoding, kept.
    /// </summary>
    private static bool Garbles(string decoded, string content) =>
        decoded.Count(c => c == '\uFFFD') > content.Count(c => c == '\uFFFD');

    private Tokenizers.DotNet.Tokenizer Rent() => _pool.TryTake(out var t) ? t : Create(root: null);

    /// <summary>Loads the prepared copy; the library reads only from a file, which is removed once read.</summary>
    private Tokenizers.DotNet.Tokenizer Create(JsonObject? root)
    {
        var temp = Path.Combine(Path.GetTempPath(), $"simper-tokenizer-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(temp, _json);
            return new Tokenizers.DotNet.Tokenizer(temp);
        }
        catch (Tokenizers.DotNet.TokenizerException e)
        {
            var unknown = root is null ? null : TokenizerComponents.FindUnknown(root);
            throw new SimperException(unknown != null
                ? $"{_path}: {unknown} is not supported by Hugging Face tokenizers 0.22."
                : $"{_path}: Hugging Face tokenizers cannot read it ({e.Message.Replace('\n', ' ')}).", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SimperException($"{_path}: could not write the copy Hugging Face tokenizers reads to {temp} ({e.Message}); set TMPDIR to a writable folder.", e);
        }
        catch (DllNotFoundException e)
        {
            throw new SimperException($"{_path}: Hugging Face tokenizers' native library (Tokenizers.DotNet.runtime) is not available on this platform ({e.Message}).", e);
        }
        finally { try { File.Delete(temp); } catch (IOException) { } }
    }
}
