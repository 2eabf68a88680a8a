using ScottPlot;

namespace Simper.Demo.Report;

/// <summary>
/// The report's figures: mean accuracy against learning rate per method, and for each method the log-probabilities
/// of chosen and rejected responses over training (SimPER's claim is that it keeps the chosen likelihood up).
/// </summary>
public static class ReportPlots
{
    public const string AccuracyFileName = "accuracy-vs-lr.png";
    public const int Width = 900;
    public const int Height = 540;

    public static string LogpsFileName(string method) =>
        "logps-" + string.Concat(method.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')) + ".png";

    /// <summary>Writes the accuracy figure and one log-probability figure per method with curves; returns the paths.</summary>
    public static IReadOnlyList<string> Write(DemoResults results, string folder)
    {
        var written = new List<string> { AccuracyVersusLearningRate(results, Path.Combine(folder, AccuracyFileName)) };
        var curves = results.Curves.Where(c => c.Points.Count > 0).ToList();
        if (curves.Count == 0) return written;
        // One y range for every method, so a falling chosen likelihood reads the same in each figure.
        var values = curves.SelectMany(c => c.Points).SelectMany(p => new[] { p.ChosenLogps, p.RejectedLogps }).ToList();
        var margin = Math.Max(1e-3, 0.05 * (values.Max() - values.Min()));
        var (low, high) = (values.Min() - margin, values.Max() + margin);
        foreach (var method in curves.Select(c => c.Method).Distinct())
        {
            var path = Path.Combine(folder, LogpsFileName(method));
            LogProbabilities(method, curves.Where(c => c.Method == method).OrderBy(c => c.LearningRate).ToList(), low, high, path);
            written.Add(path);
        }
        return written;
    }

    private static string AccuracyVersusLearningRate(DemoResults results, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var methods = AccuracyTable.Methods(results);
        // ScottPlot has no logarithmic axis: x is log10(lr), with ticks labelled by the learning rates themselves.
        var learningRates = AccuracyTable.LearningRates(results);
        if (learningRates.Count > 0)
        {
            var ticks = new ScottPlot.TickGenerators.NumericManual();
            foreach (var lr in learningRates) ticks.AddMajor(Math.Log10(lr), AccuracyTable.FormatLearningRate(lr));
            plot.Axes.Bottom.TickGenerator = ticks;
            var (left, right) = (Math.Log10(learningRates[0]), Math.Log10(learningRates[^1]));
            var pad = Math.Max(0.1, 0.08 * (right - left)); // keep the end points off the frame
            plot.Axes.SetLimitsX(left - pad, right + pad);
        }
        for (var i = 0; i < methods.Count; i++)
        {
            var scores = results.Scores.Where(s => s.Method == methods[i]).OrderBy(s => s.LearningRate).ToList();
            var line = plot.Add.Scatter(
                scores.Select(s => Math.Log10(s.LearningRate!.Value)).ToArray(),
                scores.Select(s => 100 * results.Families.Average(f => s.AccuracyByFamily[f])).ToArray(),
                palette.GetColor(i));
            line.LegendText = methods[i];
            line.MarkerSize = 7;
            line.LineWidth = methods[i] == DemoResults.SimperMethod ? 3 : 1.5f;
        }
        var sft = results.Scores.Single(s => s.Method == DemoResults.SftMethod);
        var baseline = plot.Add.HorizontalLine(100 * results.Families.Average(f => sft.AccuracyByFamily[f]));
        baseline.LinePattern = LinePattern.Dashed;
        baseline.Color = Colors.Black;
        baseline.LegendText = DemoResults.SftMethod;
        plot.Title("Mean accuracy over task families against learning rate");
        plot.XLabel("learning rate (log scale)");
        plot.YLabel("mean accuracy (%)");
        plot.ShowLegend(Edge.Right);
        plot.SavePng(path, Width, Height);
        return path;
    }

    private static void LogProbabilities(string method, IReadOnlyList<TrainingCurve> curves, double low, double high, string path)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < curves.Count; i++)
        {
            var steps = curves[i].Points.Select(p => (double)p.Step).ToArray();
            var lr = AccuracyTable.FormatLearningRate(curves[i].LearningRate);
            var chosen = plot.Add.Scatter(steps, curves[i].Points.Select(p => p.ChosenLogps).ToArray(), palette.GetColor(i));
            chosen.LegendText = $"chosen, lr {lr}";
            var rejected = plot.Add.Scatter(steps, curves[i].Points.Select(p => p.RejectedLogps).ToArray(), palette.GetColor(i));
            rejected.LegendText = $"rejected, lr {lr}";
            rejected.LinePattern = LinePattern.Dashed;
            foreach (var line in new[] { chosen, rejected }) { line.MarkerSize = steps.Length == 1 ? 7 : 0; line.LineWidth = 2; }
        }
        plot.Axes.SetLimitsY(low, high);
        plot.Title($"{method}: log-probability of chosen (solid) and rejected (dashed) responses");
        plot.XLabel("optimizer step");
        plot.YLabel("summed log-probability");
        plot.ShowLegend(Edge.Right);
        plot.SavePng(path, Width, Height);
    }
}
