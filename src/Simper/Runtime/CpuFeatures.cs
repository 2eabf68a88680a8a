namespace Simper.Runtime;

/// <summary>
/// What this processor offers the 16-bit kernels, read once from Linux's /proc/cpuinfo flags. Where a 16-bit type
/// has instructions of its own (bfloat16: avx512_bf16 or amx_bf16; float16: avx512_fp16 or amx_fp16), libtorch's
/// CPU GEMM and attention in that type run at several times float32's speed; elsewhere they are emulated, many times
/// slower, and Simper multiplies in float32 instead (<see cref="Models.Float32Linear"/>). Off Linux nothing is
/// assumed: 16-bit CPU work multiplies in float32.
/// </summary>
public static class CpuFeatures
{
    private static readonly Lazy<string[]> Flags = new(ReadFlags);

    /// <summary>The first "model name" of /proc/cpuinfo, or "unknown".</summary>
    public static string ModelName { get; } = File.Exists(CpuInfo)
        ? File.ReadLines(CpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
        : "unknown";

    /// <summary>Whether the CPU multiplies bfloat16 natively (avx512_bf16 or amx_bf16).</summary>
    public static bool HasNativeBfloat16 => Has("avx512_bf16") || Has("amx_bf16");

    /// <summary>Whether the CPU multiplies float16 natively (avx512_fp16 or amx_fp16).</summary>
    public static bool HasNativeFloat16 => Has("avx512_fp16") || Has("amx_fp16");

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
