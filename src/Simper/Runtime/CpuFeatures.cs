namespace Simper.Runtime;

/// <summary>
/// Flags of this processor from Linux's /proc/cpuinfo, read once; off Linux none are reported.
/// </summary>
public static class CpuFeatures
{
    private static readonly Lazy<(string ModelName, string Vendor, string[] Flags)> Info = new(Read);

    /// <summary>The first "model name" of /proc/cpuinfo, or "unknown".</summary>
    public static string ModelName => Info.Value.ModelName;

    /// <summary>The first "vendor_id" of /proc/cpuinfo (GenuineIntel, AuthenticAMD, …), or "unknown".</summary>
    public static string Vendor => Info.Value.Vendor;

    /// <summary>Whether this is an AMD processor.</summary>
    public static bool IsAmd => Vendor == "AuthenticAMD";

    /// <summary>
    /// Whether the CPU has bfloat16 dot-product instructions (avx512_bf16 or amx_bf16); whether Simper uses libtorch's
    /// native bfloat16 GEMMs on them by default is the kernel options' choice, in Kernels.
    /// </summary>
    public static bool HasNativeBfloat16 => Has("avx512_bf16") || Has("amx_bf16");

    /// <summary>Whether /proc/cpuinfo lists <paramref name="flag"/> for this CPU.</summary>
    public static bool Has(string flag) => Array.BinarySearch(Info.Value.Flags, flag, StringComparer.Ordinal) >= 0;

    private const string CpuInfo = "/proc/cpuinfo";

    /// <summary>The first processor's model name, vendor and flags (sorted for lookup), from one read of the file.</summary>
    private static (string ModelName, string Vendor, string[] Flags) Read()
    {
        if (!File.Exists(CpuInfo)) return ("unknown", "unknown", []);
        var lines = File.ReadLines(CpuInfo).TakeWhile(l => l.Length > 0).ToList(); // the first processor's block
        string? Field(string name) => lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        var flags = Field("flags")?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        Array.Sort(flags, StringComparer.Ordinal);
        return (Field("model name") ?? "unknown", Field("vendor_id") ?? "unknown", flags);
    }
}
