namespace Simper.Demo.Report;

/// <summary>
/// Fractional ("1.5 ranking") ranks, higher value = better = rank 1: rows that tie share the mean of the ranks
/// they occupy, so ranks always sum to n(n+1)/2 and an average over columns stays fair to tied rows.
/// </summary>
public static class FractionalRanking
{
    public static double[] RankDescending(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderByDescending(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            // Positions start..end (0-based) are ranks start+1..end+1; their mean is the shared rank.
            var shared = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++) ranks[order[k]] = shared;
            start = end + 1;
        }
        return ranks;
    }
}
