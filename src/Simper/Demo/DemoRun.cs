using System.Text.Json;
using Simper.Demo.Report;
using Simper.Demo.Tasks;
using Simper.Objectives;
using Simper.Training;

namespace Simper.Demo;

/// <summary>
/// The files of a demo folder that the report is built from: <c>scores/NAME.json</c> (one per model, written by
/// `simper demo score`), <c>runs/NAME/metrics.jsonl</c> (the alignment runs) and <c>demo.json</c> (settings and the
/// commands of every stage). `simper demo report` rebuilds the report from them alone.
/// </summary>
public static class DemoRun
{
    public const string RunsFolder = "runs";
    public const string ScoresFolder = "scores";
    public const string DescriptionFile = "demo.json";

    /// <summary>"sft" for the base, "METHOD-lrRATE" for an aligned model: the name of its run and score files.</summary>
    public static string RunName(string method, double? lr) => lr is null ? method : $"{method}-lr{DemoPipeline.Format(lr.Value)}";

    private sealed record Description(IReadOnlyDictionary<string, string> Settings, IReadOnlyList<string> Commands);

    public static void SaveDescription(string folder, IReadOnlyDictionary<string, string> settings, IReadOnlyList<string> commands) =>
        AtomicFile.WriteAllText(Path.Combine(folder, DescriptionFile),
            JsonSerializer.Serialize(new Description(settings, commands), new JsonSerializerOptions { WriteIndented = true }));

    public static DemoResults Read(string folder)
    {
        var scoresDir = Path.Combine(folder, ScoresFolder);
        if (!Directory.Exists(scoresDir)) throw new SimperException($"{folder}: no {ScoresFolder}/ folder; run simper demo score first");
        // Rows come in the catalog's order at each learning rate, whatever order the runs finished or the files list in.
        var scores = Directory.EnumerateFiles(scoresDir, "*.json").Order(StringComparer.Ordinal).Select(AccuracyScoring.Read)
            .OrderBy(s => s.LearningRate ?? 0).ThenBy(s => CatalogPosition(s.Method)).ThenBy(s => s.Method, StringComparer.Ordinal).ToList();
        var curves = scores.Where(s => s.LearningRate is not null)
            .Select(s => Curve(s.Method, s.LearningRate!.Value, Path.Combine(folder, RunsFolder, RunName(s.Method, s.LearningRate))))
            .Where(c => c is not null).Select(c => c!).ToList();
        var descriptionPath = Path.Combine(folder, DescriptionFile);
        var description = File.Exists(descriptionPath)
            ? JsonSerializer.Deserialize<Description>(File.ReadAllText(descriptionPath))!
            : new Description(new Dictionary<string, string>(), []);
        return new DemoResults([.. TaskCatalog.All.Select(t => t.Name)], scores, curves, description.Settings, description.Commands);
    }

    /// <summary>SFT first, then the methods as <see cref="ObjectiveCatalog"/> lists them, then any other name.</summary>
    private static int CatalogPosition(string method)
    {
        if (method == DemoResults.SftMethod) return -1;
        var names = ObjectiveCatalog.Names;
        for (var i = 0; i < names.Count; i++) if (names[i] == method) return i;
        return names.Count;
    }

    private static TrainingCurve? Curve(string method, double lr, string run)
    {
        var path = Path.Combine(run, MetricsLog.FileName);
        if (!File.Exists(path)) return null;
        return new(method, lr, MetricsLog.Read(path)
            .Where(r => r[MetricNames.LogpsChosen] is not null && r[MetricNames.GradNorm] is not null)
            .Select(r => new TrainingCurvePoint(r.Step, r[MetricNames.LogpsChosen]!.Value, r[MetricNames.LogpsRejected]!.Value, r[MetricNames.Loss]))
            .ToList());
    }
}
