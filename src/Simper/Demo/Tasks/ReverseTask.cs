namespace Simper.Demo.Tasks;

/// <summary>Reverses a lowercase word. Bad habit: keeping the first letter in front and reversing the rest.</summary>
public sealed class ReverseTask(int minLength = 3, int maxLength = 5) : IVerifiableTask
{
    public string Name => "reverse";
    public string Description => $"reverse a {minLength}-{maxLength} letter word; habit: keep the first letter in front";

    public TaskInstance Sample(Random random)
    {
        var word = new string(Enumerable.Range(0, random.Next(minLength, maxLength + 1))
            .Select(_ => (char)('a' + random.Next(26))).ToArray());
        return new TaskInstance(Name, $"reverse {word}=", Reverse(word), word[0] + Reverse(word[1..]));
    }

    public string Solve(string prompt) => Reverse(prompt["reverse ".Length..^1]);

    private static string Reverse(string s) => new(s.Reverse().ToArray());
}
