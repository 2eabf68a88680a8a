using Simper.Runtime;

namespace Simper.Kernels;

/// <summary>
/// How bfloat16 projections and attention compute on the CPU: with libtorch's native bfloat16 kernels, or multiplied
/// in float32 on the bfloat16 values and rounded back (<see cref="LinearFunction"/>, <see cref="WidenedAttention"/>).
/// Both accumulate in float32 and round each output to bfloat16 once, so the values differ only in summation order.
/// GEMMs and attention are chosen apart, because their native kernels pay off on different processors (the measurements
/// are in docs/cpu-notes.md):
/// <list type="bullet">
/// <item>Native GEMMs are the default with AMX, and on AMD CPUs with avx512_bf16: there they beat multiplying in
/// float32, and the loss strays from float32's alike either way. An Intel CPU with avx512_bf16 but no AMX (AMX absent,
/// or hidden by a hypervisor) runs libtorch's bfloat16 GEMMs at about half its float32 speed, so it multiplies in
/// float32.</item>
/// <item>Native attention is the default with AMX only: without AMX libtorch's bfloat16 attention backward is far
/// slower than float32's.</item>
/// </list>
/// float16 always multiplies in float32. A model holds one value (<c>LlamaForCausalLM.Kernels</c>) and hands it to
/// every <see cref="KernelDispatch"/> call of its forward pass; nothing is chosen per thread.
/// </summary>
public sealed record KernelOptions(bool NativeBfloat16Gemms, bool NativeBfloat16Attention)
{
    /// <summary>Whether native GEMMs are this CPU's default: with AMX, or on an AMD CPU with avx512_bf16.</summary>
    public static bool NativeGemmsByDefault => CpuFeatures.Has("amx_bf16") || CpuFeatures.IsAmd && CpuFeatures.Has("avx512_bf16");

    /// <summary>Whether this CPU has AMX bfloat16 tiles, so native attention is the default as well.</summary>
    public static bool NativeAttentionByDefault => CpuFeatures.Has("amx_bf16");

    /// <summary>The defaults for this CPU (see the summary).</summary>
    public static KernelOptions ForThisCpu { get; } = new(NativeGemmsByDefault, NativeAttentionByDefault);

    /// <summary>bfloat16 GEMMs and attention both native (true) or both multiplied in float32 (false).</summary>
    public static KernelOptions Native(bool native) => new(native, native);

    /// <summary>
    /// The setting's name as <c>simper bench</c> reports it: native, native-gemm (attention in float32),
    /// native-attention (GEMMs in float32) or float32.
    /// </summary>
    public string Describe() => (NativeBfloat16Gemms, NativeBfloat16Attention) switch
    {
        (true, true) => "native",
        (true, false) => "native-gemm",
        (false, true) => "native-attention",
        (false, false) => "float32",
    };

    /// <summary>The four settings, in the order <see cref="Names"/> lists them.</summary>
    private static readonly KernelOptions[] All = [Native(true), new(true, false), new(false, true), Native(false)];

    /// <summary>The four settings' names, as <see cref="Describe"/> gives them.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(o => o.Describe())];

    /// <summary>The setting <see cref="Describe"/> names <paramref name="name"/>, or null for any other name.</summary>
    public static KernelOptions? FromName(string name) => All.FirstOrDefault(o => o.Describe() == name.Trim().ToLowerInvariant());
}
