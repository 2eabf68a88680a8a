namespace Simper.Runtime;

/// <summary>
/// How bfloat16 projections and attention compute on the CPU: with libtorch's native bfloat16 kernels, or multiplied
/// in float32 on the bfloat16 values and rounded back (<see cref="Models.Float32Linear"/>,
/// <see cref="Models.Float32Attention"/>). Both accumulate in float32 and round each output to bfloat16 once, so the
/// values differ only in summation order. Native is the default on CPUs with AMX tiles (amx_bf16): there libtorch's
/// bfloat16 GEMMs ran two to five times faster than its float32 ones, its bfloat16 attention forward and backward
/// pass 1.7 times faster, and a bench-26m SimPER step took 0.65× float32's time against 1.18× when multiplying in
/// float32 (Intel Xeon, Sapphire Rapids; SimPER's loss after 20 steps strayed from float32's alike either way).
/// Without AMX, float32 multiplication is the default: libtorch's bfloat16 attention backward measured ten times slower
/// than its float32 one, and on an AMD EPYC with avx512_bf16 its native GEMMs strayed further from float32 (1.5e-2
/// against 7e-3). float16 always multiplies in float32.
/// </summary>
public static class Bfloat16Kernels
{
    /// <summary>Whether this CPU has AMX bfloat16 tiles, so native kernels are the default.</summary>
    public static bool NativeByDefault => CpuFeatures.Has("amx_bf16");

    [ThreadStatic] private static bool? chosen;

    /// <summary>Whether bfloat16 on the CPU uses libtorch's native kernels on this thread.</summary>
    public static bool Native => chosen ?? NativeByDefault;

    /// <summary>Whether <paramref name="t"/> is a bfloat16 CPU tensor that this thread computes with native kernels.</summary>
    public static bool AppliesTo(TorchSharp.torch.Tensor t) =>
        t.dtype == TorchSharp.torch.ScalarType.BFloat16 && t.device_type == TorchSharp.DeviceType.CPU && Native;

    /// <summary>Until disposed, bfloat16 on this thread computes natively (true) or in float32 (false).</summary>
    public static IDisposable Use(bool native)
    {
        var restore = new Choice(chosen);
        chosen = native;
        return restore;
    }

    private sealed class Choice(bool? previous) : IDisposable
    {
        private bool disposed;

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            chosen = previous;
        }
    }
}
