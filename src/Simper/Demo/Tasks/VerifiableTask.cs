namespace Simper.Demo.Tasks;

/// <summary>One problem of a task family: its prompt, the right answer, and the answer a model with the family's
/// systematic bad habit gives (equal to <see cref="Answer"/> when the habit happens to be harmless here).</summary>
public sealed record TaskInstance(string Family, string Prompt, string Answer, string HabitAnswer)
{
    public bool HabitIsWrong => HabitAnswer != Answer;
}

/// <summary>
/// A family of problems whose answers can be checked exactly, with no judge model. Each family also has a
/// systematic mistake (a "bad habit") that a base model learns from flawed demonstrations: systematic rather than
/// random, because noise alone leaves the right answer the most likely one under greedy decoding.
/// </summary>
public interface IVerifiableTask
{
    /// <summary>Short name used in reports and in the prompt's tag.</summary>
    string Name { get; }

    /// <summary>What the family asks for and what its bad habit is, for the report.</summary>
    string Description { get; }

    TaskInstance Sample(Random random);

    /// <summary>The right answer to a prompt of this family, computed from the prompt alone.</summary>
    string Solve(string prompt);

    /// <summary>True when the response, up to the end of its first line, is exactly the right answer.</summary>
    bool Verify(string prompt, string response) => FirstLine(response) == Solve(prompt);

    static string FirstLine(string response)
    {
        var end = response.IndexOf('\n');
        return end < 0 ? response : response[..end];
    }
}
