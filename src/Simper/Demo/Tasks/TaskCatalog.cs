namespace Simper.Demo.Tasks;

/// <summary>The verifiable task families, by name.</summary>
public static class TaskCatalog
{
    public static IReadOnlyList<IVerifiableTask> All { get; } =
        [new AdditionTask(), new SortTask(), new ReverseTask(), new CountTask(), new BracketTask()];

    public static IVerifiableTask Get(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new SimperException($"unknown task family '{name}': expected one of {string.Join(", ", All.Select(t => t.Name))}");

    /// <summary>The family whose prompts start with its name, for verifying a prompt of any family.</summary>
    public static IVerifiableTask ForPrompt(string prompt) =>
        All.FirstOrDefault(t => prompt.StartsWith(t.Name + " ", StringComparison.Ordinal))
        ?? throw new SimperException($"prompt '{prompt}' belongs to no task family");
}
