using Simper.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Kernels;

/// <summary>
/// The dispatch's decisions as a table: which kernel each operation runs for a dtype, device, mask kind, length,
/// gradient, replay and kernel options. The rows are the situations the model meets; a change of kernel for one of
/// them is a change of speed or memory, and shows here.
/// </summary>
public class KernelDispatchTests
{
    private const ScalarType F32 = ScalarType.Float32, F64 = ScalarType.Float64, BF16 = ScalarType.BFloat16, F16 = ScalarType.Float16;
    private const DeviceType Cpu = DeviceType.CPU, Cuda = DeviceType.CUDA;

    /// <summary>Options by the name <c>simper bench</c> reports them under.</summary>
    private static KernelOptions Options(string name) => name switch
    {
        "native" => KernelOptions.Native(true),
        "float32" => KernelOptions.Native(false),
        "native-gemm" => new KernelOptions(NativeBfloat16Gemms: true, NativeBfloat16Attention: false),
        "native-attention" => new KernelOptions(NativeBfloat16Gemms: false, NativeBfloat16Attention: true),
        _ => throw new ArgumentException(name),
    };

    public static TheoryData<ScalarType, DeviceType, bool, ScalarType?, bool, bool, string, bool, LinearKernel> LinearCases => new()
    {
        // weight, device, base trains, adapter dtype, adapter dropout, feeds residual, options, replay → kernel
        { F32, Cpu, true, null, false, false, "float32", false, LinearKernel.Native },
        { F64, Cpu, true, null, false, true, "float32", false, LinearKernel.Native },
        { BF16, Cpu, true, null, false, false, "float32", false, LinearKernel.Float32 },      // no bfloat16 instructions
        { BF16, Cpu, true, null, false, false, "native-gemm", false, LinearKernel.Native },
        { BF16, Cpu, true, null, false, false, "native-attention", false, LinearKernel.Float32 },
        { F16, Cpu, true, null, false, false, "native", false, LinearKernel.Float32 },        // float16 always in float32
        { BF16, Cuda, true, null, false, false, "float32", false, LinearKernel.Native },
        { F32, Cpu, true, null, false, true, "float32", true, LinearKernel.OutputUnset },    // o_proj, down_proj in a replay
        { F32, Cpu, true, null, false, false, "float32", true, LinearKernel.Native },        // q_proj's output is read
        { BF16, Cpu, true, null, false, true, "native", true, LinearKernel.OutputUnset },
        { F32, Cpu, false, F32, false, false, "float32", false, LinearKernel.MergedLora },    // LoRA without dropout
        { F32, Cpu, false, F32, false, true, "float32", true, LinearKernel.MergedLoraOutputUnset },
        { F32, Cpu, false, F32, true, false, "float32", false, LinearKernel.Native },        // dropout: adapter beside
        { F32, Cpu, false, F32, true, true, "float32", true, LinearKernel.Native },          // ... computed in the replay too
        { F32, Cpu, true, F32, false, false, "float32", false, LinearKernel.Native },        // a trained base: adapter beside
        { BF16, Cpu, false, F32, false, false, "float32", false, LinearKernel.MergedLora },   // 16-bit base multiplied in float32
        { BF16, Cpu, false, F32, false, false, "native-gemm", false, LinearKernel.Native },   // native base, adapter beside (PEFT)
        { BF16, Cpu, false, F32, true, false, "float32", false, LinearKernel.Float32 },
    };

    [Theory]
    [MemberData(nameof(LinearCases))]
    public void LinearKernelFollowsTheTable(ScalarType weight, DeviceType device, bool baseTrains, ScalarType? adapter, bool dropout,
        bool feedsResidual, string options, bool replay, LinearKernel expected) =>
        Assert.Equal(expected, KernelDispatch.ChooseLinear(new LinearCase(weight, device, baseTrains, adapter, dropout, feedsResidual), Options(options), replay));

    public static TheoryData<ScalarType, DeviceType, MaskKind, long, long, long, bool, string, bool, AttentionKernel> AttentionCases => new()
    {
        // dtype, device, mask, T, S, KV heads (of 8 query heads of D = 64), grad, options, replay → kernel
        { F32, Cpu, MaskKind.Causal, 320, 320, 4, true, "float32", false, AttentionKernel.CausalBlock },
        { F64, Cpu, MaskKind.Causal, 320, 320, 4, true, "float32", false, AttentionKernel.CausalBlock },
        { F32, Cpu, MaskKind.Causal, 320, 320, 4, false, "float32", false, AttentionKernel.CausalBlock }, // no graph: same values, nothing kept
        { F32, Cpu, MaskKind.WithinCausal, 100, 100, 8, true, "float32", false, AttentionKernel.CausalBlock }, // packed rows, shared prompts
        { F32, Cpu, MaskKind.Causal, 513, 513, 4, true, "float32", false, AttentionKernel.Sdpa },      // T > 8·D: flash attention's memory
        { F32, Cpu, MaskKind.Window, 100, 100, 4, true, "float32", false, AttentionKernel.CausalBlock }, // a sliding window that cuts
        { F64, Cpu, MaskKind.Window, 100, 100, 4, false, "float32", false, AttentionKernel.CausalBlock },
        { F32, Cpu, MaskKind.Window, 600, 600, 4, true, "float32", false, AttentionKernel.Sdpa },      // T > 8·D: SDPA with the band mask
        { F32, Cpu, MaskKind.Window, 1, 9, 4, false, "float32", false, AttentionKernel.Sdpa },         // a cached step past the window
        { BF16, Cpu, MaskKind.Window, 100, 100, 4, true, "float32", false, AttentionKernel.Float32Recompute },
        { F32, Cpu, MaskKind.None, 1, 9, 4, false, "float32", false, AttentionKernel.Sdpa },           // a cached decoding step
        { F32, Cpu, MaskKind.Other, 6, 6, 4, false, "float32", false, AttentionKernel.Sdpa },          // left padding
        { F32, Cpu, MaskKind.Causal, 6, 6, 3, true, "float32", false, AttentionKernel.Sdpa },          // 3 does not divide 8
        { F32, Cuda, MaskKind.Causal, 320, 320, 4, true, "float32", false, AttentionKernel.Sdpa },
        { BF16, Cpu, MaskKind.Causal, 320, 320, 4, true, "float32", false, AttentionKernel.Float32Recompute },
        { BF16, Cpu, MaskKind.Causal, 320, 320, 4, true, "float32", true, AttentionKernel.Float32Graph },  // checkpoint replay
        { BF16, Cpu, MaskKind.Causal, 320, 320, 4, false, "float32", false, AttentionKernel.Float32Graph }, // no backward pass
        { BF16, Cpu, MaskKind.Causal, 320, 320, 4, true, "native", false, AttentionKernel.Sdpa },          // AMX
        { BF16, Cpu, MaskKind.Causal, 320, 320, 4, true, "native-gemm", false, AttentionKernel.Float32Recompute },
        { F16, Cpu, MaskKind.Other, 6, 6, 4, true, "native", false, AttentionKernel.Float32Recompute },    // float16 always in float32
        { BF16, Cuda, MaskKind.Causal, 320, 320, 4, true, "float32", false, AttentionKernel.Sdpa },
    };

    [Theory]
    [MemberData(nameof(AttentionCases))]
    public void AttentionKernelFollowsTheTable(ScalarType dtype, DeviceType device, MaskKind mask, long t, long s, long kvHeads,
        bool needsGrad, string options, bool replay, AttentionKernel expected)
    {
        var c = new AttentionCase(dtype, device, mask, t, s, HeadDim: 64, Heads: 8, kvHeads, needsGrad);
        Assert.Equal(expected, KernelDispatch.ChooseAttention(c, Options(options), replay));
    }

    [Theory]
    [InlineData(F32, RotaryKernel.Fused)]
    [InlineData(F64, RotaryKernel.Fused)]
    [InlineData(BF16, RotaryKernel.Expression)]
    [InlineData(F16, RotaryKernel.Expression)]
    public void RotaryKernelFollowsTheDtype(ScalarType dtype, RotaryKernel expected) => Assert.Equal(expected, KernelDispatch.ChooseRotary(dtype));

    [Theory]
    // gradient checkpointing, head trains, gradients wanted → kernel
    [InlineData(false, true, true, HeadKernel.Dense)]
    [InlineData(true, true, true, HeadKernel.ChunkedRecompute)]
    [InlineData(false, false, true, HeadKernel.ChunkedFrozen)]   // LoRA: a frozen head always chunks
    [InlineData(true, false, true, HeadKernel.ChunkedFrozen)]
    [InlineData(true, true, false, HeadKernel.Dense)]            // scoring without a backward pass
    [InlineData(false, false, false, HeadKernel.Dense)]
    public void HeadKernelFollowsCheckpointingAndTheHeadsGradient(bool checkpointing, bool headTrains, bool needsGrad, HeadKernel expected) =>
        Assert.Equal(expected, KernelDispatch.ChooseHead(checkpointing, headTrains, needsGrad));

    [Fact]
    public void AttentionReadsTheMaskKindOffTheMask()
    {
        // The same [1, 1, 6, 6] shapes under a mask within causal take the blocks, under a full one SDPA; both give SDPA's values.
        using var scope = NewDisposeScope();
        var generator = new Generator(21);
        var (q, k, v) = (randn([1, 2, 6, 4], generator: generator), randn([1, 2, 6, 4], generator: generator), randn([1, 2, 6, 4], generator: generator));
        var within = ones(6, 6, dtype: ScalarType.Bool).tril().view(1, 1, 6, 6);
        var full = ones(1, 1, 6, 6, dtype: ScalarType.Bool);
        foreach (var mask in new[] { within, full })
        {
            var expected = nn.functional.scaled_dot_product_attention(q, k, v, mask);
            var actual = KernelDispatch.Attention(q, k, v, mask, causal: false, KernelCall.Default);
            Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-6));
        }
        Assert.True(CausalBlockAttention.Applies(q, k, v, within, causal: false));
        Assert.False(CausalBlockAttention.Applies(q, k, v, full, causal: false));
    }
}
