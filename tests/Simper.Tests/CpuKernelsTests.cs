using Simper.Runtime;

namespace Simper.Tests;

public class CpuKernelsTests
{
    [SkippableFact]
    public void FlagsComeFromProcCpuinfo()
    {
        Skip.IfNot(File.Exists("/proc/cpuinfo") && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64,
            "needs Linux's /proc/cpuinfo on x86-64");
        Assert.True(CpuFeatures.Has("sse2")); // every x86-64 CPU
        Assert.False(CpuFeatures.Has("sse4")); // whole names only: sse4_1 and sse4_2 are flags, "sse4" is not
        Assert.False(CpuFeatures.Has("no_such_flag"));
        Assert.Equal(CpuFeatures.Has("avx512_bf16") || CpuFeatures.Has("amx_bf16"), CpuFeatures.HasNativeBfloat16);
        var vendor = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("vendor_id", StringComparison.Ordinal)).Split(':')[1].Trim();
        Assert.Equal(vendor, CpuFeatures.Vendor);
        Assert.Equal(vendor == "AuthenticAMD", CpuFeatures.IsAmd);
    }

    [SkippableFact]
    public void AnAmdAvx512CpuRunsLibtorchsAvx2KernelsOthersKeepLibtorchsChoice()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && CpuFeatures.Has("avx512f"), "needs Linux on a CPU with AVX-512");
        // The test assembly's initializer made the choice before the first tensor operation, as the command line does.
        var value = Environment.GetEnvironmentVariable(CpuKernels.Variable);
        Assert.Equal(value, CpuKernels.PreferAvx2()); // a second call keeps what is set
        var user = Support.CpuKernelsInitializer.UserSetting;
        string? expected = CpuFeatures.IsAmd ? "avx2" : null; // libtorch's own choice elsewhere
        if (!string.IsNullOrEmpty(user)) expected = user;
        Assert.Equal(expected, string.IsNullOrEmpty(value) ? null : value);
    }
}
