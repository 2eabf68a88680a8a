using System.Runtime.InteropServices;

namespace Simper.Runtime;

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

    /// <summary>
    /// Makes the resident set follow the memory in use: blocks of 128 KiB and more (every tensor but the smallest) are
    /// mapped on their own and unmapped when freed, and free space at the top of the heap is returned. glibc starts
    /// with these thresholds but raises them as large blocks are freed, after which freed tensors stay in the heap
    /// and the peak RSS counts memory the process has long freed, by an amount that varies with allocation order.
    /// A no-op off Linux.
    /// </summary>
    public static void ReturnFreedMemoryPromptly()
    {
        if (!OperatingSystem.IsLinux()) return;
        Mallopt(MmapThreshold, PromptThresholdBytes);
        Mallopt(TrimThreshold, PromptThresholdBytes);
    }

    /// <summary>
    /// The allocator setting for training: blocks under 32 MiB come from the heap (glibc's own ceiling for the
    /// threshold it raises by itself, set outright so it holds from the first step) and freed ones are kept there for
    /// reuse, and the heap is not trimmed: a step frees its activations at the end and allocates them again at the
    /// start of the next, so memory returned to the kernel in between comes back as page faults, tens of thousands a
    /// step (a tenth of a LoRA step's time here). The process keeps the heap at its peak instead, as PyTorch's caching
    /// allocator does on a GPU. A process-wide setting, for the program that owns the process to choose: the simper
    /// command line sets it at start; <see cref="ReleaseFreedMemory"/> returns the kept memory at any time. A no-op off Linux.
    /// </summary>
    public static void KeepFreedMemoryForReuse()
    {
        if (!OperatingSystem.IsLinux()) return;
        Mallopt(MmapThreshold, ReuseMmapThresholdBytes);
        Mallopt(TrimThreshold, int.MaxValue);
    }

    /// <summary>
    /// Collects managed garbage (disposed tensors' wrappers) and returns freed C heap pages to the kernel, so the RSS
    /// that follows holds what is live rather than what earlier work freed.
    /// </summary>
    public static void ReleaseFreedMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        if (OperatingSystem.IsLinux()) MallocTrim(0);
    }

    private const int PromptThresholdBytes = 128 * 1024;
    private const int ReuseMmapThresholdBytes = 32 * 1024 * 1024; // glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
    private const int TrimThreshold = -1; // glibc's M_TRIM_THRESHOLD
    private const int MmapThreshold = -3; // glibc's M_MMAP_THRESHOLD

    // glibc's malloc tuning and trimming: .NET has no managed way to steer the C allocator libtorch allocates with.
    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

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
