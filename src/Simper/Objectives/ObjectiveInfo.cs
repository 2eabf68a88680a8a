using System.Globalization;

namespace Simper.Objectives;

/// <summary>
/// A catalog entry: the objective's name, one-line description, what it needs, its hyperparameters with defaults,
/// and how to build it from resolved hyperparameter values (every declared name present).
/// </summary>
public sealed record ObjectiveInfo(
    string Name,
    string Description,
    bool NeedsReference,
    bool Unpaired,
    IReadOnlyList<HyperparameterInfo> Hyperparameters,
    Func<IReadOnlyDictionary<string, double>, IPreferenceObjective> Build)
{
    /// <summary>
    /// The objective with its defaults replaced by <paramref name="overrides"/>. A name the objective does not take
    /// or a value out of range is a <see cref="SimperException"/> naming the valid choices.
    /// </summary>
    public IPreferenceObjective Create(IReadOnlyDictionary<string, double>? overrides = null)
    {
        var values = Hyperparameters.ToDictionary(h => h.Name, h => h.Default);
        foreach (var (name, value) in overrides ?? new Dictionary<string, double>())
        {
            var parameter = Hyperparameters.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new SimperException(Hyperparameters.Count == 0
                    ? $"objective '{Name}' takes no hyperparameters, got '{name}'"
                    : $"objective '{Name}' has no hyperparameter '{name}'; expected one of: {string.Join(", ", Hyperparameters.Select(h => h.Name))}");
            if (!parameter.Accepts(value))
                throw new SimperException(
                    $"hyperparameter '{parameter.Name}' of objective '{Name}' is {value.ToString(CultureInfo.InvariantCulture)}; expected {parameter.Expected}");
            values[parameter.Name] = value;
        }
        return Build(values);
    }
}
