using System.Text.RegularExpressions;

namespace Simper.Tokenization;

/// <summary>
/// Cuts text at added tokens (leftmost, then longest match) the way Hugging Face's AddedVocabulary does, honouring
/// lstrip/rstrip (the token swallows neighbouring whitespace) and single_word (no match inside a word).
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly Regex? _pattern;
    private readonly Dictionary<string, AddedToken> _byContent;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        _byContent = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (var t in tokens.Where(t => t.Content.Length > 0)) _byContent.TryAdd(t.Content, t);
        if (_byContent.Count == 0) return;
        // Longest first: the regex takes the first alternative that matches at the leftmost position.
        var alternatives = _byContent.Keys.OrderByDescending(c => c.Length).Select(Regex.Escape);
        _pattern = new Regex(string.Join("|", alternatives), RegexOptions.Compiled | RegexOptions.CultureInvariant);
    }

    /// <summary>Pieces of <paramref name="text"/> in order: plain text (Token null) or an added token.</summary>
    public List<(int Start, int Length, AddedToken? Token)> Split(string text)
    {
        var pieces = new List<(int, int, AddedToken?)>();
        int textStart = 0;
        for (var m = _pattern?.Match(text); m is { Success: true }; m = m.NextMatch())
        {
            var token = _byContent[m.Value];
            int start = m.Index, end = m.Index + m.Length;
            if (token.SingleWord && (IsWordCharAt(text, start - 1) || IsWordCharAt(text, end))) continue;
            if (start < textStart) continue;
            if (token.LStrip) while (start > textStart && char.IsWhiteSpace(text[start - 1])) start--;
            if (token.RStrip) while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            if (start > textStart) pieces.Add((textStart, start - textStart, null));
            pieces.Add((start, end - start, token));
            textStart = end;
        }
        if (textStart < text.Length) pieces.Add((textStart, text.Length - textStart, null));
        return pieces;
    }

    private static bool IsWordCharAt(string text, int i) =>
        i >= 0 && i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_');
}
