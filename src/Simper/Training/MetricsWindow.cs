namespace Simper.Training;

/// <summary>Averages metrics over micro-batches, steps or evaluation batches (weighted), skipping NaN entries per metric.</summary>
internal sealed class MetricsWindow
{
    private readonly Dictionary<string, (double Sum, double Weight)> _totals = new(StringComparer.Ordinal);

    public void Add(IReadOnlyDictionary<string, double> metrics, double? loss = null, double weight = 1)
    {
        foreach (var (name, value) in metrics) Add(name, value, weight);
        if (loss is double l) Add(MetricNames.Loss, l, weight);
    }

    private void Add(string name, double value, double weight)
    {
        var (sum, total) = _totals.GetValueOrDefault(name);
        // A non-finite loss must surface (the trainer's guard reads it); other NaN metrics (e.g. KTO's with no
        // example of one label in a batch) are left out of the mean.
        if (double.IsNaN(value) && name != MetricNames.Loss) return;
        _totals[name] = (sum + value * weight, total + weight);
    }

    /// <summary>The running sums and weights, saved with a checkpoint so a resumed run logs the same averages.</summary>
    public Dictionary<string, double[]> Save() =>
        _totals.ToDictionary(kv => kv.Key, kv => new[] { kv.Value.Sum, kv.Value.Weight }, StringComparer.Ordinal);

    public static MetricsWindow Restore(IReadOnlyDictionary<string, double[]>? saved)
    {
        var window = new MetricsWindow();
        foreach (var (name, totals) in saved ?? new Dictionary<string, double[]>())
            if (totals is [var sum, var weight]) window._totals[name] = (sum, weight);
        return window;
    }

    /// <summary>Adds another window's sums and weights (saved with <see cref="Save"/>), as if its values had been added here.</summary>
    public void AddTotals(IReadOnlyDictionary<string, double[]> saved)
    {
        foreach (var (name, totals) in saved)
            if (totals is [var sum, var weight])
            {
                var (s, w) = _totals.GetValueOrDefault(name);
                _totals[name] = (s + sum, w + weight);
            }
    }

    public Dictionary<string, double> Mean() =>
        _totals.ToDictionary(kv => kv.Key, kv => kv.Value.Weight == 0 ? double.NaN : kv.Value.Sum / kv.Value.Weight, StringComparer.Ordinal);
}
