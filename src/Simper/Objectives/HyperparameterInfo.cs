namespace Simper.Objectives;

/// <summary>The values a hyperparameter accepts (always finite).</summary>
public enum HyperparameterRange { Positive, NonNegative }

/// <summary>
/// One tunable number of an objective, under the name the command line shows (e.g. "beta", "desirable-weight").
/// </summary>
public sealed record HyperparameterInfo(string Name, double Default, string Help, HyperparameterRange Range)
{
    /// <summary>What an error message says the value should be, e.g. "a finite number > 0".</summary>
    public string Expected => Range == HyperparameterRange.Positive ? "a finite number > 0" : "a finite number >= 0";

    public bool Accepts(double value) =>
        double.IsFinite(value) && (Range == HyperparameterRange.Positive ? value > 0 : value >= 0);
}
