namespace Simper.Demo.Report;

/// <summary>One row of an accuracy table: a model, its accuracy per family, their mean and its ranks.</summary>
/// <param name="Accuracy">Family to accuracy (0..1).</param>
/// <param name="Mean">Unweighted mean of <paramref name="Accuracy"/> over families (0..1).</param>
/// <param name="Ranks">Family to the row's fractional rank within that family's column (1 = best).</param>
/// <param name="AverageRank">Mean of <paramref name="Ranks"/> over families.</param>
public sealed record TableRow(
    string Label, string Method, double? LearningRate, IReadOnlyDictionary<string, double> Accuracy, double Mean,
    IReadOnlyDictionary<string, double> Ranks, double AverageRank);

/// <summary>
/// The rows one <see cref="TableView"/> compares, the SFT base first and then the methods in the order the results
/// list them, ranked column by column.
/// </summary>
public sealed record AccuracyTable(double? SharedLearningRate, IReadOnlyList<TableRow> Rows)
{
    public static AccuracyTable Build(DemoResults results, TableView view)
    {
        Validate(results);
        var best = BestLearningRates(results);
        var picked = new List<(ModelScore Score, string Label)> { (Sft(results), DemoResults.SftMethod) };
        foreach (var method in Methods(results))
        {
            var lr = view.SharedLearningRate ?? best[method];
            var score = results.Scores.FirstOrDefault(s => s.Method == method && s.LearningRate == lr);
            if (score is null) continue; // this method was not trained at the shared learning rate
            picked.Add((score, view.SharedLearningRate is null ? $"{method} (lr {FormatLearningRate(lr)})" : method));
        }

        var ranks = results.Families.ToDictionary(f => f,
            f => FractionalRanking.RankDescending(picked.Select(p => p.Score.AccuracyByFamily[f]).ToList()));
        var rows = picked.Select((p, i) =>
        {
            var accuracy = results.Families.ToDictionary(f => f, f => p.Score.AccuracyByFamily[f]);
            var rowRanks = results.Families.ToDictionary(f => f, f => ranks[f][i]);
            return new TableRow(p.Label, p.Score.Method, p.Score.LearningRate, accuracy, accuracy.Values.Average(),
                rowRanks, rowRanks.Values.Average());
        }).ToList();
        return new AccuracyTable(view.SharedLearningRate, rows);
    }

    /// <summary>The views the report shows: best learning rates first, then each learning rate in ascending order.</summary>
    public static IReadOnlyList<TableView> Views(DemoResults results) =>
        [TableView.BestLearningRate, .. LearningRates(results).Select(TableView.AtLearningRate)];

    /// <summary>
    /// Each method's learning rate with the highest mean accuracy over families; on a tie, the smaller learning rate.
    /// </summary>
    public static IReadOnlyDictionary<string, double> BestLearningRates(DemoResults results)
    {
        Validate(results);
        return Methods(results).ToDictionary(m => m, m => results.Scores
            .Where(s => s.Method == m)
            .OrderByDescending(s => results.Families.Average(f => s.AccuracyByFamily[f]))
            .ThenBy(s => s.LearningRate)
            .First().LearningRate!.Value);
    }

    /// <summary>The aligned methods (every method but SFT) in the order the results first list them.</summary>
    public static IReadOnlyList<string> Methods(DemoResults results) =>
        results.Scores.Select(s => s.Method).Where(m => m != DemoResults.SftMethod).Distinct().ToList();

    public static IReadOnlyList<double> LearningRates(DemoResults results) =>
        results.Scores.Where(s => s.LearningRate is not null).Select(s => s.LearningRate!.Value).Distinct().Order().ToList();

    /// <summary>A learning rate as papers write it: 3e-5, 1.5e-6.</summary>
    public static string FormatLearningRate(double learningRate) =>
        learningRate.ToString("0.###e0", System.Globalization.CultureInfo.InvariantCulture);

    private static ModelScore Sft(DemoResults results) => results.Scores.Single(s => s.Method == DemoResults.SftMethod);

    private static void Validate(DemoResults results)
    {
        if (results.Families.Count == 0) throw new SimperException("demo results: Families is empty; expected at least one task family");
        var sftCount = results.Scores.Count(s => s.Method == DemoResults.SftMethod);
        if (sftCount != 1)
            throw new SimperException($"demo results: found {sftCount} '{DemoResults.SftMethod}' scores; expected exactly one, the base model");
        foreach (var score in results.Scores)
        {
            var model = score.LearningRate is { } lr ? $"{score.Method} at lr {FormatLearningRate(lr)}" : score.Method;
            if ((score.Method == DemoResults.SftMethod) != (score.LearningRate is null))
                throw new SimperException($"demo results: score of {model} has LearningRate {(score.LearningRate is null ? "null" : "set")}; expected null only for '{DemoResults.SftMethod}'");
            foreach (var family in results.Families)
            {
                if (!score.AccuracyByFamily.TryGetValue(family, out var accuracy))
                    throw new SimperException($"demo results: score of {model} has no accuracy for family '{family}'");
                if (!(accuracy is >= 0 and <= 1))
                    throw new SimperException($"demo results: score of {model} has accuracy {accuracy} for family '{family}'; expected a fraction in 0..1");
            }
            if (results.Scores.Count(s => s.Method == score.Method && s.LearningRate == score.LearningRate) > 1)
                throw new SimperException($"demo results: {model} is scored more than once; expected one score per method and learning rate");
        }
    }
}
