namespace Simper.Runtime;

/// <summary>
/// Flags of this processor from Linux's /proc/cpuinfo, read once; off Linux none are reported.
/// </summary>
public static class CpuFeatures
{
    private static readonly Lazy<string[]> Flags = new(ReadFlags);

    /// <summary>The first "model name" of /proc/cpuinfo, or "unknown".</summary>
    public static string ModelName { get; } = File.Exists(CpuInfo)
        ? File.ReadLines(CpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
        : "unknown";

    /// <summary>
    /// Whether the CPU has bfloat16 dot-product instructions (avx512_bf16 or amx_bf16). Simper's bfloat16 training on the
    /// CPU multiplies in float32 all the same (see <see cref="Models.Float32Linear"/>): libtorch's bfloat16 GEMM measured
    /// several times faster on such a CPU, but its SimPER loss after 20 steps strayed up to 1.5e-2 from float32's,
    /// against 7e-3 when multiplying in float32.
    /// </summary>
    public static bool HasNativeBfloat16 => Has("avx512_bf16") || Has("amx_bf16");

    /// <summary>Whether /proc/cpuinfo lists <paramref name="flag"/> for this CPU.</summary>
    public static bool Has(string flag) => Array.BinarySearch(Flags.Value, flag, StringComparer.Ordinal) >= 0;

    private const string CpuInfo = "/proc/cpuinfo";

    private static string[] ReadFlags()
    {
        if (!File.Exists(CpuInfo)) return [];
        var line = File.ReadLines(CpuInfo).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        var flags = line?.Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        Array.Sort(flags, StringComparer.Ordinal);
        return flags;
    }
}
