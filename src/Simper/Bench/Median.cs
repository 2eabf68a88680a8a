namespace Simper.Bench;

/// <summary>The median of timings: the middle value, or the mean of the two middle ones for an even count.</summary>
public static class Median
{
    public static double Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("no values to take the median of", nameof(values));
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
