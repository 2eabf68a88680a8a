using TorchSharp;

namespace Simper.Runtime;

/// <summary>
/// How bfloat16 projections and attention compute on the CPU: with libtorch's native bfloat16 kernels, or multiplied
/// in float32 on the bfloat16 values and rounded back (<see cref="Models.Float32Linear"/>,
/// <see cref="Models.Float32Attention"/>). Both accumulate in float32 and round each output to bfloat16 once, so the
/// values differ only in summation order. GEMMs and attention are chosen apart, because their native kernels pay off
/// on different processors:
/// <list type="bullet">
/// <item>Native GEMMs are the default on any CPU with bfloat16 dot-product instructions (avx512_bf16 or amx_bf16). On
/// an AMD EPYC (Zen 5, avx512_bf16, no AMX) a bench-26m SimPER step took 0.65 to 0.69× float32's time with them
/// against 1.12 to 1.15× when multiplying in float32; with AMX (Intel Xeon, Sapphire Rapids) they ran two to five
/// times faster than float32's. SimPER's loss after 20 steps strayed from float32's alike either way (over ten starts
/// on the AMD EPYC, mean gaps 5.4e-3 native and 5.1e-3 in float32).</item>
/// <item>Native attention is the default with AMX only: there its forward and backward pass ran 1.7 times faster than
/// float32's, whereas without AMX libtorch's bfloat16 attention backward measured ten times slower than
/// float32's.</item>
/// </list>
/// float16 always multiplies in float32.
/// </summary>
public static class Bfloat16Kernels
{
    /// <summary>Whether this CPU has bfloat16 dot-product instructions, so native GEMMs are the default.</summary>
    public static bool NativeGemmsByDefault => CpuFeatures.HasNativeBfloat16;

    /// <summary>Whether this CPU has AMX bfloat16 tiles, so native attention is the default as well.</summary>
    public static bool NativeAttentionByDefault => CpuFeatures.Has("amx_bf16");

    [ThreadStatic] private static (bool Gemms, bool Attention)? chosen;

    /// <summary>Whether bfloat16 projections on the CPU use libtorch's native GEMMs on this thread.</summary>
    public static bool NativeGemms => chosen?.Gemms ?? NativeGemmsByDefault;

    /// <summary>Whether bfloat16 attention on the CPU uses libtorch's native kernels on this thread.</summary>
    public static bool NativeAttention => chosen?.Attention ?? NativeAttentionByDefault;

    /// <summary>Whether attention on <paramref name="query"/> is bfloat16 CPU attention that this thread computes natively.</summary>
    public static bool AttentionAppliesTo(torch.Tensor query) =>
        query.dtype == torch.ScalarType.BFloat16 && query.device_type == DeviceType.CPU && NativeAttention;

    /// <summary>
    /// The setting's name as <c>simper bench</c> reports it: native, native-gemm (attention in float32),
    /// native-attention (GEMMs in float32) or float32.
    /// </summary>
    public static string Describe() => (NativeGemms, NativeAttention) switch
    {
        (true, true) => "native",
        (true, false) => "native-gemm",
        (false, true) => "native-attention",
        (false, false) => "float32",
    };

    /// <summary>Until disposed, bfloat16 GEMMs and attention on this thread compute natively (true) or in float32 (false).</summary>
    public static IDisposable Use(bool native) => Use(gemms: native, attention: native);

    /// <summary>Until disposed, this thread's bfloat16 GEMMs and attention compute as chosen, each natively or in float32.</summary>
    public static IDisposable Use(bool gemms, bool attention)
    {
        var restore = new Choice(chosen);
        chosen = (gemms, attention);
        return restore;
    }

    private sealed class Choice((bool, bool)? previous) : IDisposable
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
