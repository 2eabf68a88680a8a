using System.Text.Json;

namespace Simper.Demo.Report;

/// <summary>The machine-readable report: the results as measured plus every table computed from them.</summary>
/// <param name="Findings">One sentence per table, in the order of <paramref name="Tables"/>.</param>
public sealed record ReportDocument(
    DemoResults Results, IReadOnlyList<AccuracyTable> Tables, IReadOnlyDictionary<string, double> BestLearningRates,
    IReadOnlyList<string> Findings)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ReportDocument Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ReportDocument>(File.ReadAllText(path), Json)
                   ?? throw new SimperException($"{path}: found null; expected a report object");
        }
        catch (JsonException e)
        {
            throw new SimperException($"{path}: invalid report JSON at {e.Path}: {e.Message.Split('\n')[0]}", e);
        }
    }
}

/// <summary>Writes the demo's report (markdown, JSON and figures) from its measured results.</summary>
public static class DemoReport
{
    public const string MarkdownFileName = "report.md";
    public const string JsonFileName = "report.json";

    /// <summary>Writes report.md, report.json and the figures into <paramref name="folder"/>; returns the paths written.</summary>
    public static IReadOnlyList<string> Write(DemoResults results, string folder)
    {
        var document = Build(results);
        Directory.CreateDirectory(folder);
        var figures = ReportPlots.Write(results, folder);
        var markdown = Path.Combine(folder, MarkdownFileName);
        File.WriteAllText(markdown, ReportText.Document(results, document.Tables, figures.Select(p => Path.GetFileName(p)).ToList()));
        var json = Path.Combine(folder, JsonFileName);
        File.WriteAllText(json, document.ToJson());
        return [markdown, json, .. figures];
    }

    /// <summary>The markdown summary table: every model's mean accuracy and average rank at its best and each shared learning rate.</summary>
    public static string Summary(DemoResults results) =>
        ReportText.Summary(AccuracyTable.Views(results).Select(v => AccuracyTable.Build(results, v)).ToList());

    /// <summary>The markdown accuracy table of one view.</summary>
    public static string Table(DemoResults results, TableView view) =>
        ReportText.Table(AccuracyTable.Build(results, view), results.Families);

    public static ReportDocument Build(DemoResults results)
    {
        var tables = AccuracyTable.Views(results).Select(v => AccuracyTable.Build(results, v)).ToList();
        return new ReportDocument(results, tables, AccuracyTable.BestLearningRates(results),
            tables.Select(ReportText.Finding).ToList());
    }
}
