namespace Simper.Objectives;

/// <summary>
/// Every preference objective by name: the one list the command line, configuration validation, help text and
/// tests read. Adding an objective means adding its file and its <c>Info</c> here.
/// </summary>
public static class ObjectiveCatalog
{
    public const string DefaultName = "simper";

    public static IReadOnlyList<ObjectiveInfo> All { get; } =
    [
        SimperObjective.Info,
        DpoObjective.Info,
        IpoObjective.Info,
        KtoObjective.Info,
        CpoObjective.Info,
        SlicObjective.Info,
        SimpoObjective.Info,
        OrpoObjective.Info,
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(o => o.Name).ToArray();

    /// <summary>The entry named <paramref name="name"/> (case-insensitive); an unknown name lists the valid ones.</summary>
    public static ObjectiveInfo Find(string name) =>
        All.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new SimperException($"unknown objective '{name}'; expected one of: {string.Join(", ", Names)}");

    /// <summary>The objective <paramref name="name"/> with its defaults replaced by <paramref name="overrides"/>.</summary>
    public static IPreferenceObjective Create(string name, IReadOnlyDictionary<string, double>? overrides = null) =>
        Find(name).Create(overrides);
}
