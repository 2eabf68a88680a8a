using System.Globalization;
using System.Text;

namespace Simper.Demo.Report;

/// <summary>The markdown of the report: accuracy tables, the finding each one supports, settings and commands.</summary>
public static class ReportText
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A markdown table: accuracy in percent per family, Mean, and the average rank as the last column.</summary>
    public static string Table(AccuracyTable table, IReadOnlyList<string> families)
    {
        var text = new StringBuilder();
        text.Append("| Model | ").AppendJoin(" | ", families.Select(Cell)).Append(" | Mean | Avg. rank |\n");
        text.Append("|---|").Append(string.Concat(Enumerable.Repeat("---:|", families.Count + 2))).Append('\n');
        foreach (var row in table.Rows)
        {
            text.Append("| ").Append(Cell(row.Label)).Append(" | ")
                .AppendJoin(" | ", families.Select(f => Percent(row.Accuracy[f])))
                .Append(" | ").Append(Percent(row.Mean))
                .Append(" | ").Append(row.AverageRank.ToString("F2", Invariant)).Append(" |\n");
        }
        return text.ToString();
    }

    /// <summary>
    /// The whole comparison in one table, a row per model: its best learning rate, its mean accuracy and average rank
    /// there, then its mean accuracy and average rank at each shared learning rate ("–" where it was not trained).
    /// </summary>
    public static string Summary(IReadOnlyList<AccuracyTable> tables)
    {
        var best = tables.Single(t => t.SharedLearningRate is null);
        var shared = tables.Where(t => t.SharedLearningRate is not null).ToList();
        var text = new StringBuilder("| Model | Best lr | Mean at best | Avg. rank at best |");
        foreach (var table in shared) text.Append($" Mean at {AccuracyTable.FormatLearningRate(table.SharedLearningRate!.Value)} | Avg. rank |");
        text.Append("\n|---|---:|---:|---:|").Append(string.Concat(Enumerable.Repeat("---:|---:|", shared.Count))).Append('\n');
        foreach (var row in best.Rows)
        {
            text.Append("| ").Append(Cell(row.Method)).Append(" | ")
                .Append(row.LearningRate is { } lr ? AccuracyTable.FormatLearningRate(lr) : "–")
                .Append(" | ").Append(Percent(row.Mean)).Append(" | ").Append(Rank(row.AverageRank)).Append(" |");
            foreach (var table in shared)
            {
                var at = table.Rows.FirstOrDefault(r => r.Method == row.Method);
                text.Append(at is null ? " – | – |" : $" {Percent(at.Mean)} | {Rank(at.AverageRank)} |");
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>
    /// One sentence naming the row with the best (lowest) average rank and saying whether SimPER is ahead of every
    /// other row, level with the best, behind, or absent.
    /// </summary>
    public static string Finding(AccuracyTable table)
    {
        var bestRank = table.Rows.Min(r => r.AverageRank);
        var best = table.Rows.Where(r => r.AverageRank == bestRank).Select(r => r.Label).ToList();
        var where = table.SharedLearningRate is { } lr
            ? $"At learning rate {AccuracyTable.FormatLearningRate(lr)}"
            : "With each method at its best learning rate";
        var leader = best.Count == 1
            ? $"{where}, {best[0]} has the best average rank ({Rank(bestRank)})"
            : $"{where}, {string.Join(" and ", best)} share the best average rank ({Rank(bestRank)})";
        var simper = table.Rows.FirstOrDefault(r => r.Method == DemoResults.SimperMethod);
        if (simper is null) return $"{leader}; SimPER has no row in this table.";
        if (simper.AverageRank == bestRank)
            return best.Count == 1 ? $"{leader}, so SimPER is ahead of every other row." : $"{leader}, so SimPER is level with the best, not ahead.";
        var position = 1 + table.Rows.Count(r => r.AverageRank < simper.AverageRank);
        return $"{leader}; SimPER is not ahead: its average rank is {Rank(simper.AverageRank)}, position {position} of {table.Rows.Count}.";
    }

    public static string Document(DemoResults results, IReadOnlyList<AccuracyTable> tables, IReadOnlyList<string> figures)
    {
        var text = new StringBuilder("# Preference alignment demo\n\n");
        var prompts = results.Scores.Select(s => s.Prompts).Distinct().Order().ToList();
        text.Append("Accuracy is the percentage of held-out prompts (")
            .Append(prompts.Count == 1 ? $"{prompts[0]}" : $"{prompts[0]} to {prompts[^1]}")
            .Append(" per model) whose greedy completion the family's exact verifier accepts. Mean is the mean over families. ")
            .Append("Avg. rank is the mean over families of the row's rank in that family's column (1 = best; tied rows share the mean of their ranks).\n\n");
        text.Append("## Summary\n\n").Append("Mean accuracy and average rank of every model, at each method's best learning rate and at each shared one; ")
            .Append("the sections below break each column down by task family.\n\n");
        foreach (var table in tables) text.Append("- ").Append(Finding(table)).Append('\n');
        text.Append('\n').Append(Summary(tables)).Append('\n');
        foreach (var table in tables)
        {
            text.Append(table.SharedLearningRate is { } lr
                ? $"## Accuracy at learning rate {AccuracyTable.FormatLearningRate(lr)}\n\n"
                : "## Accuracy at each method's best learning rate\n\n");
            text.Append(Finding(table)).Append("\n\n").Append(Table(table, results.Families)).Append('\n');
            var absent = AccuracyTable.Methods(results).Except(table.Rows.Select(r => r.Method)).ToList();
            if (absent.Count > 0) text.Append($"Not trained at this learning rate: {string.Join(", ", absent)}.\n\n");
        }
        text.Append("## Figures\n\n");
        foreach (var figure in figures) text.Append($"![{Path.GetFileNameWithoutExtension(figure)}]({figure})\n\n");
        text.Append("## Settings\n\n| Setting | Value |\n|---|---|\n");
        foreach (var (key, value) in results.Settings) text.Append($"| {Cell(key)} | {Cell(value)} |\n");
        text.Append("\n## Commands\n\n```sh\n").AppendJoin('\n', results.Commands).Append("\n```\n");
        return text.ToString();
    }

    private static string Percent(double fraction) => (100 * fraction).ToString("F1", Invariant);

    private static string Rank(double rank) => rank.ToString("F2", Invariant);

    private static string Cell(string text) => text.Replace("|", "\\|").Replace('\n', ' ');
}
