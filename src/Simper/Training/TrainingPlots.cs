using ScottPlot;

namespace Simper.Training;

/// <summary>
/// Draws the curves of a run from its metrics.jsonl as PNG files: loss, rewards of chosen and rejected responses,
/// reward margins, preference accuracy and log-probabilities, each with its training series and, when the run was
/// evaluated, its evaluation series.
/// </summary>
public static class TrainingPlots
{
    /// <summary>One chart: its file name, title, y-axis label and the metrics drawn on it.</summary>
    public sealed record Chart(string FileName, string Title, string YLabel, IReadOnlyList<string> Metrics);

    public static readonly IReadOnlyList<Chart> Charts =
    [
        new("loss.png", "Loss", "loss", [MetricNames.Loss]),
        new("rewards.png", "Implicit rewards", "reward", [MetricNames.RewardsChosen, MetricNames.RewardsRejected]),
        new("margins.png", "Reward margin (chosen - rejected)", "margin", [MetricNames.RewardsMargins]),
        new("accuracies.png", "Preference accuracy (reward chosen > rejected)", "accuracy", [MetricNames.RewardsAccuracies]),
        new("logps.png", "Log-probabilities", "log-probability", [MetricNames.LogpsChosen, MetricNames.LogpsRejected]),
    ];

    public const int Width = 900;
    public const int Height = 540;

    /// <summary>
    /// Writes the charts for which metrics.jsonl at <paramref name="metricsPath"/> has data into
    /// <paramref name="outputFolder"/> and returns the paths written.
    /// </summary>
    public static IReadOnlyList<string> Write(string metricsPath, string outputFolder) =>
        Write(MetricsLog.Read(metricsPath), outputFolder);

    public static IReadOnlyList<string> Write(IReadOnlyList<MetricsRecord> records, string outputFolder)
    {
        Directory.CreateDirectory(outputFolder);
        var written = new List<string>();
        foreach (var chart in Charts)
        {
            var series = chart.Metrics
                .SelectMany(m => new[] { (Label: "train " + m, Metric: m), (Label: "eval " + m, Metric: MetricNames.Eval(m)) })
                .Select(s => (s.Label, Points: Points(records, s.Metric)))
                .Where(s => s.Points.Count > 0)
                .ToList();
            if (series.Count == 0) continue;

            var plot = new Plot();
            foreach (var (label, points) in series)
            {
                var scatter = plot.Add.Scatter(points.Select(p => (double)p.Step).ToArray(), points.Select(p => p.Value).ToArray());
                scatter.LegendText = label;
                // Evaluations are few and far apart: dashed, with visible markers, to set them apart from training.
                var evaluation = label.StartsWith("eval ", StringComparison.Ordinal);
                scatter.LinePattern = evaluation ? LinePattern.Dashed : LinePattern.Solid;
                scatter.MarkerSize = evaluation || points.Count == 1 ? 7 : 3;
            }
            plot.Title(chart.Title);
            plot.XLabel("optimizer step");
            plot.YLabel(chart.YLabel);
            plot.ShowLegend(Edge.Right); // beside the data, never over it
            var path = Path.Combine(outputFolder, chart.FileName);
            plot.SavePng(path, Width, Height);
            written.Add(path);
        }
        return written;
    }

    private static List<(int Step, double Value)> Points(IReadOnlyList<MetricsRecord> records, string metric) =>
        records.Where(r => r[metric] is { } v && double.IsFinite(v)).Select(r => (r.Step, r[metric]!.Value)).ToList();
}
