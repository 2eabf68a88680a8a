using System.Globalization;

namespace Simper.Demo.Tasks;

/// <summary>Counts a letter in a word over a small alphabet. Bad habit: missing the first occurrence.</summary>
public sealed class CountTask(int minLength = 4, int maxLength = 6) : IVerifiableTask
{
    private const string Alphabet = "abcd";

    public string Name => "count";
    public string Description => $"count a letter in a {minLength}-{maxLength} letter word; habit: miss the first occurrence";

    public TaskInstance Sample(Random random)
    {
        var word = new string(Enumerable.Range(0, random.Next(minLength, maxLength + 1))
            .Select(_ => Alphabet[random.Next(Alphabet.Length)]).ToArray());
        var letter = Alphabet[random.Next(Alphabet.Length)];
        var count = word.Count(c => c == letter);
        return new TaskInstance(Name, $"count {letter} in {word}=", Format(count), Format(Math.Max(0, count - 1)));
    }

    public string Solve(string prompt)
    {
        var letter = prompt["count ".Length];
        var word = prompt[(prompt.IndexOf(" in ", StringComparison.Ordinal) + 4)..^1];
        return Format(word.Count(c => c == letter));
    }

    private static string Format(int n) => n.ToString(CultureInfo.InvariantCulture);
}
