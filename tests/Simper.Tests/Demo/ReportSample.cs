using Simper.Demo.Report;

namespace Simper.Tests.Demo;

/// <summary>
/// Small demo results whose ranks are worked out by hand in the tests: three families, the SFT base, dpo and simper
/// at two learning rates, kto at one.
/// </summary>
internal static class ReportSample
{
    public static readonly string[] Families = ["add", "sort", "count"];

    public static DemoResults Results() => new(
        Families,
        [
            Score("sft", null, 0.50, 0.20, 0.40),
            Score("dpo", 1e-5, 0.60, 0.20, 0.40),
            Score("dpo", 3e-5, 0.70, 0.10, 0.30),
            Score("simper", 1e-5, 0.60, 0.30, 0.40),
            Score("simper", 3e-5, 0.80, 0.30, 0.50),
            Score("kto", 1e-5, 0.55, 0.35, 0.45),
        ],
        [Curve("dpo", 1e-5, -2), Curve("dpo", 3e-5, -6), Curve("simper", 1e-5, 0.5), Curve("simper", 3e-5, 1)],
        new Dictionary<string, string> { ["seed"] = "42", ["learning rates"] = "1e-5, 3e-5" },
        ["simper demo sft --seed 42", "simper demo align --method simper --lr 3e-5"]);

    public static ModelScore Score(string method, double? lr, params double[] accuracy) =>
        new(method, lr, Families.Zip(accuracy).ToDictionary(p => p.First, p => p.Second), 200);

    /// <summary>20 steps; the chosen log-probability moves by <paramref name="chosenSlope"/> per step, the rejected one falls.</summary>
    public static TrainingCurve Curve(string method, double lr, double chosenSlope) =>
        new(method, lr, Enumerable.Range(1, 20)
            .Select(s => new TrainingCurvePoint(s, -60 + chosenSlope * s, -62 - 4 * s, s % 2 == 0 ? 0.7 - 0.01 * s : null))
            .ToList());
}
