using Simper.Objectives;

namespace Simper.Training;

/// <summary>
/// What a run trains: a preference objective of <see cref="ObjectiveCatalog"/>, or supervised fine-tuning, which
/// has no objective. Resolved by name once, so the rest of the library asks the objective (does it need a
/// reference? is it unpaired?) rather than comparing names.
/// </summary>
public sealed class TrainingMethod : IEquatable<TrainingMethod>
{
    public string Name { get; }
    /// <summary>The preference objective; null for supervised fine-tuning.</summary>
    public ObjectiveInfo? Objective { get; }

    private TrainingMethod(string name, ObjectiveInfo? objective) => (Name, Objective) = (name, objective);

    public static TrainingMethod Sft { get; } = new("sft", null);

    /// <summary>The catalog's objectives in its order, then supervised fine-tuning.</summary>
    public static IReadOnlyList<TrainingMethod> All { get; } = [.. ObjectiveCatalog.All.Select(o => new TrainingMethod(o.Name, o)), Sft];

    public bool IsSft => Objective is null;

    public static TrainingMethod Find(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new SettingException($"«method» '{name}': expected one of {string.Join(", ", All.Select(m => m.Name))}");

    /// <summary>A method by name, so settings read as written: <c>Method = "dpo"</c>.</summary>
    public static implicit operator TrainingMethod(string name) => Find(name);

    public bool Equals(TrainingMethod? other) => other is not null && other.Name == Name;
    public override bool Equals(object? obj) => Equals(obj as TrainingMethod);
    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => Name;
}
