namespace Simper.Demo.Tasks;

/// <summary>
/// A format instruction: write the words of the prompt in upper case, each inside square brackets.
/// Bad habit: forgetting the closing bracket of the last word.
/// </summary>
public sealed class BracketTask(int minWords = 1, int maxWords = 2) : IVerifiableTask
{
    public string Name => "format";
    public string Description => $"write {minWords}-{maxWords} words upper-cased in [brackets]; habit: drop the last ']'";

    public TaskInstance Sample(Random random)
    {
        var words = Enumerable.Range(0, random.Next(minWords, maxWords + 1))
            .Select(_ => new string(Enumerable.Range(0, random.Next(2, 4)).Select(_ => (char)('a' + random.Next(26))).ToArray()))
            .ToArray();
        var prompt = $"format {string.Join(' ', words)}=";
        var answer = Format(words);
        return new TaskInstance(Name, prompt, answer, answer[..^1]);
    }

    public string Solve(string prompt) => Format(prompt["format ".Length..^1].Split(' '));

    private static string Format(string[] words) => string.Concat(words.Select(w => $"[{w.ToUpperInvariant()}]"));
}
