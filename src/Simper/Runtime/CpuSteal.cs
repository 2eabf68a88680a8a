using System.Globalization;

namespace Simper.Runtime;

/// <summary>
/// Time the hypervisor gave this virtual machine's CPUs to other guests ("steal" in Linux's /proc/stat), as a share of
/// all CPU time over an interval. On a shared cloud host it is the noise behind a slow benchmark run: a stolen
/// core stalls the libtorch thread on it and the other waits for it at the next barrier.
/// </summary>
public readonly record struct CpuSteal(long StealTicks, long TotalTicks)
{
    private const string Stat = "/proc/stat";

    /// <summary>The counters now, summed over all CPUs; null off Linux or where /proc/stat has no steal column.</summary>
    public static CpuSteal? Read()
    {
        if (!File.Exists(Stat)) return null;
        return Parse(File.ReadLines(Stat).FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal)));
    }

    /// <summary>The counters of /proc/stat's summary line "cpu  user nice system idle iowait irq softirq steal …" (clock ticks).</summary>
    internal static CpuSteal? Parse(string? line)
    {
        var fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1).ToArray();
        if (fields is not { Length: >= 8 } || fields.Take(8).Any(n => n < 0)) return null;
        // The guest columns after steal are already counted in user and nice.
        return new CpuSteal(fields[7], fields.Take(8).Sum());
    }

    /// <summary>The stolen share of CPU time between <paramref name="start"/> and <paramref name="end"/>, 0 to 1.</summary>
    public static double? Fraction(CpuSteal? start, CpuSteal? end) =>
        start is { } a && end is { } b && b.TotalTicks > a.TotalTicks ? (double)(b.StealTicks - a.StealTicks) / (b.TotalTicks - a.TotalTicks) : null;
}
