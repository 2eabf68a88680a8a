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

    public Dictionary<string, double> Mean() =>
        _totals.ToDictionary(kv => kv.Key, kv => kv.Value.Weight == 0 ? double.NaN : kv.Value.Sum / kv.Value.Weight, StringComparer.Ordinal);
}
