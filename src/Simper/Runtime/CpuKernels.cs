using System.Runtime.InteropServices;

namespace Simper.Runtime;

/// <summary>
/// Which of libtorch's vectorised CPU kernels this process runs. libtorch builds its elementwise, softmax and attention
/// kernels for AVX2 and for AVX-512 and picks one set at its first operation, from ATEN_CPU_CAPABILITY or else the
/// widest the CPU has. On AMD CPUs its AVX-512 exponential (Sleef's, inside flash attention and SiLU) is slower than the
/// AVX2 one, enough to slow attention as a whole; on Intel's the AVX-512 kernels are the faster (docs/cpu-notes.md has
/// the measurements). GEMMs (MKL, oneDNN) choose their own instructions and are unaffected.
/// </summary>
public static class CpuKernels
{
    public const string Variable = "ATEN_CPU_CAPABILITY";

    /// <summary>
    /// Asks libtorch for its AVX2 kernels on an AMD CPU that also has AVX-512, unless ATEN_CPU_CAPABILITY is already
    /// set (the user's choice stands); elsewhere libtorch keeps its own choice. Takes effect only before libtorch's
    /// first tensor operation in the process, so the program that owns the process calls it first thing: the simper
    /// command line does. Returns the setting that holds afterwards ("avx2", the user's value, or null for libtorch's
    /// own choice). A no-op off Linux.
    /// </summary>
    public static string? PreferAvx2()
    {
        var chosen = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrEmpty(chosen) || !OperatingSystem.IsLinux() || !CpuFeatures.IsAmd || !CpuFeatures.Has("avx512f")) return chosen;
        // The C runtime's environment, which libtorch reads with getenv; .NET's SetEnvironmentVariable does not reach it.
        if (SetEnv(Variable, "avx2", overwrite: 0) != 0) return null;
        Environment.SetEnvironmentVariable(Variable, "avx2");
        return "avx2";
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);
}
