namespace Simper.Data;

/// <summary>
/// Splits a preference pair whose prompt is implicit (both responses repeat it) into prompt and responses, exactly as
/// TRL's <c>extract_prompt</c>: the prompt runs up to the first position where chosen and rejected differ; when the
/// character before that position is a space, the space goes to the responses. When no position differs (one is a
/// prefix of the other), TRL's loop leaves its index on the last element of the shorter one, and so does this.
/// For Anthropic HH dialogues the prompt thus ends with "\n\nAssistant:" and each response starts with " ".
/// Positions count Unicode code points (Python string indices), never splitting a surrogate pair.
/// </summary>
public static class ImplicitPrompt
{
    /// <summary>The shared prompt and the two responses; null when they share nothing (differ at the first character).</summary>
    public static (string Prompt, string Chosen, string Rejected)? Split(string chosen, string rejected)
    {
        var shorter = Math.Min(chosen.Length, rejected.Length);
        if (shorter == 0) return null;
        var index = 0;
        while (index < shorter && chosen[index] == rejected[index]) index++;
        if (index == shorter)
            index = StartOfCodePoint(chosen, shorter - 1);
        else
        {
            index = StartOfCodePoint(chosen, index);
            if (index > 0 && chosen[index - 1] == ' ') index--;
        }
        if (index == 0) return null;
        return (chosen[..index], chosen[index..], rejected[index..]);
    }

    /// <summary>The same split over message lists: the prompt is the longest run of equal leading messages.</summary>
    public static (IReadOnlyList<Message> Prompt, IReadOnlyList<Message> Chosen, IReadOnlyList<Message> Rejected)? Split(
        IReadOnlyList<Message> chosen, IReadOnlyList<Message> rejected)
    {
        var shorter = Math.Min(chosen.Count, rejected.Count);
        if (shorter == 0) return null;
        var index = 0;
        while (index < shorter && chosen[index] == rejected[index]) index++;
        if (index == shorter) index = shorter - 1;
        if (index == 0) return null;
        return ([.. chosen.Take(index)], [.. chosen.Skip(index)], [.. rejected.Skip(index)]);
    }

    private static int StartOfCodePoint(string text, int index) =>
        index > 0 && char.IsLowSurrogate(text[index]) && char.IsHighSurrogate(text[index - 1]) ? index - 1 : index;
}
