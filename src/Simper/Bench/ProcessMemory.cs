namespace Simper.Bench;

/// <summary>
/// Resident memory of this process from Linux's /proc/self: the current RSS and the high-water mark (VmHWM), which
/// writing 5 to /proc/self/clear_refs resets to the current RSS, so the peak of one phase can be measured alone.
/// </summary>
public static class ProcessMemory
{
    private const string Status = "/proc/self/status";

    public static bool Available => File.Exists(Status);

    /// <summary>Current resident set size in bytes (VmRSS).</summary>
    public static long Resident() => Field("VmRSS");

    /// <summary>Peak resident set size in bytes since start or the last <see cref="ResetPeak"/> (VmHWM).</summary>
    public static long Peak() => Field("VmHWM");

    /// <summary>Makes VmHWM start again from the current RSS.</summary>
    public static void ResetPeak()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SimperException($"/proc/self/clear_refs: cannot reset the peak memory counter ({e.Message}); expected a Linux kernel that allows it");
        }
    }

    private static long Field(string name)
    {
        if (!Available) throw new SimperException($"{Status}: not found; memory is measured from Linux's /proc only");
        foreach (var line in File.ReadLines(Status))
        {
            if (!line.StartsWith(name + ":", StringComparison.Ordinal)) continue;
            var parts = line[(name.Length + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries); // "\t123456 kB"
            return long.Parse(parts[0]) * 1024;
        }
        throw new SimperException($"{Status}: no {name} line");
    }
}
