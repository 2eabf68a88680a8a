using Simper.Kernels;
using Simper.Lora;
using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Models;

/// <summary>
/// bfloat16 projections and attention on the CPU multiply in float32 (unless native kernels are chosen): outputs and
/// gradients are exactly the float32 computation on the bfloat16 values, rounded to bfloat16, and a frozen weight gets
/// no gradient. With native kernels they are libtorch's own bfloat16 products and attention.
/// </summary>
public class Float32ComputeTests
{
    private const ScalarType BF16 = ScalarType.BFloat16;

    private static readonly KernelCall InFloat32 = new(KernelOptions.Native(false));
    private static readonly KernelCall Native = new(KernelOptions.Native(true));

    private static bool MultipliesInFloat32(Tensor w, KernelCall call) => KernelDispatch.MultipliesInFloat32(w.dtype, w.device_type, call.Options);

    private static Tensor Linear(Tensor x, Tensor w, Tensor? b, KernelCall call, bool feedsResidual = false) =>
        KernelDispatch.Linear(x, w, b, null, feedsResidual, call);

    private static Tensor Leaf(Generator g, params long[] shape) => randn(shape, generator: g).to(BF16).requires_grad_(true);

    private static void AssertSame(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.dtype, actual.dtype);
        Assert.True(expected.equal(actual).all().item<bool>(), $"{what}: max difference {(expected.to(ScalarType.Float32) - actual.to(ScalarType.Float32)).abs().max().item<float>()}");
    }

    /// <summary>The same tensors in float32 as fresh leaves, for the reference computation.</summary>
    private static Tensor[] Widened(params Tensor[] tensors) =>
        [.. tensors.Select(t => t.detach().to(ScalarType.Float32).requires_grad_(t.requires_grad))];

    [Fact]
    public void LinearIsTheFloat32ProductRoundedWithFloat32Gradients()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var (x, w, b) = (Leaf(g, 5, 8), Leaf(g, 6, 8), Leaf(g, 6));
        var upstream = randn([5, 6], generator: g).to(BF16);
        Assert.True(MultipliesInFloat32(w, InFloat32));
        var y = Linear(x, w, b, InFloat32); // [5, 6]
        y.backward([upstream]);

        var (xf, wf, bf) = Widened(x, w, b) switch { var a => (a[0], a[1], a[2]) };
        var reference = nn.functional.linear(xf, wf, bf);
        reference.backward([upstream.to(ScalarType.Float32)]);
        AssertSame(reference.to(BF16), y, "output");
        AssertSame(xf.grad!.to(BF16), x.grad!, "input gradient");
        AssertSame(wf.grad!.to(BF16), w.grad!, "weight gradient");
        AssertSame(bf.grad!.to(BF16), b.grad!, "bias gradient");
        // libtorch's own bfloat16 GEMM agrees to bfloat16 precision.
        var native = nn.functional.linear(x.detach(), w.detach(), b.detach()).to(ScalarType.Float32);
        Assert.True((native - y.detach().to(ScalarType.Float32)).abs().max().item<float>() < 0.05f);
    }

    [Fact]
    public void FrozenWeightGetsNoGradientAndFloat32WeightsKeepTheOrdinaryProjection()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(4);
        var x = Leaf(g, 3, 4);
        var w = randn([2, 4], generator: g).to(BF16); // frozen, as a LoRA base
        Linear(x, w, null, InFloat32).sum().backward();
        Assert.Null(w.grad);
        Assert.NotNull(x.grad);
        Assert.False(MultipliesInFloat32(randn(2, 4), InFloat32));
    }

    [Fact]
    public void WideOutputIsTheUnroundedFloat32Product()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(8);
        var (x, w) = (Leaf(g, 5, 8), Leaf(g, 6, 8));
        var upstream = randn([5, 6], generator: g); // float32, as the residual stream hands it back
        var y = Linear(x, w, null, InFloat32, feedsResidual: true); // [5, 6]
        y.backward([upstream]);

        var (xf, wf) = Widened(x, w) switch { var a => (a[0], a[1]) };
        var reference = nn.functional.linear(xf, wf);
        reference.backward([upstream]);
        AssertSame(reference.detach(), y.detach(), "output");
        Assert.False(y.detach().equal(y.detach().to(BF16).to(ScalarType.Float32)).all().item<bool>()); // not on the bfloat16 grid
        AssertSame(xf.grad!.to(BF16), x.grad!, "input gradient");
        AssertSame(wf.grad!.to(BF16), w.grad!, "weight gradient");
    }

    [Theory]
    [InlineData(false, ScalarType.Float32)]
    [InlineData(true, BF16)]
    public void AttentionAndMlpHandTheResidualStreamTheirFloat32Products(bool native, ScalarType expected)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(9);
        var config = Lora.LoraTestModels.LlamaTiny();
        var model = new LlamaForCausalLM(config, dtype: BF16) { Kernels = KernelOptions.Native(native) };
        var call = new KernelCall(model.Kernels);
        var x = randn([2, 6, 32], generator: g).to(BF16); // [B, T, H]
        using var mlpOutput = model.model.layers[0].mlp.forward(x, call);
        Assert.Equal(expected, mlpOutput.dtype);
        // q_proj's output feeds attention, not the stream: it stays bfloat16.
        Assert.Equal(BF16, model.model.layers[0].self_attn.q_proj!.forward(x, call).dtype);
        Assert.Equal(expected, model.model.layers[0].self_attn.o_proj!.forward(x, call).dtype);

        // With a LoRA adapter the merged projection widens alike, and its value is the float32 product of x with W + s·B A.
        LoraModel.Apply(model, new LoraConfig { Rank = 2, Alpha = 4, Dropout = 0, TargetModules = ["down_proj"] });
        Lora.LoraTestModels.RandomizeAdapters(model, seed: 10);
        var down = model.model.layers[0].mlp.down_proj!;
        var hidden = randn([4, 48], generator: g).to(BF16);
        using var adapted = down.forward(hidden, call);
        Assert.Equal(expected, adapted.dtype);
        if (native) return;
        var merged = down.weight.detach().to(ScalarType.Float32) + down.Scale * down.lora_B!.weight!.detach().matmul(down.lora_A!.weight!.detach());
        var reference = nn.functional.linear(hidden.to(ScalarType.Float32), merged, down.bias!.detach().to(ScalarType.Float32));
        Assert.True((reference - adapted).abs().max().item<float>() < 1e-5f);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AttentionIsTheFloat32AttentionRoundedWithFloat32Gradients(bool causal)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        var (q, k, v) = (Leaf(g, 2, 3, 6, 4), Leaf(g, 2, 3, 6, 4), Leaf(g, 2, 3, 6, 4)); // [B, NH, T, D]
        // A block pattern a causal flag cannot express: each query sees keys 0..1 and itself.
        var mask = causal ? null : arange(6).unsqueeze(0).le(1).logical_or(eye(6, dtype: ScalarType.Bool)).view(1, 1, 6, 6);
        var upstream = randn([2, 3, 6, 4], generator: g).to(BF16);
        var output = KernelDispatch.Attention(q, k, v, mask, causal, InFloat32);
        output.backward([upstream]);

        var (qf, kf, vf) = Widened(q, k, v) switch { var a => (a[0], a[1], a[2]) };
        var reference = nn.functional.scaled_dot_product_attention(qf, kf, vf, mask, is_casual: causal);
        reference.backward([upstream.to(ScalarType.Float32)]);
        AssertSame(reference.to(BF16), output, "output");
        AssertSame(qf.grad!.to(BF16), q.grad!, "query gradient");
        AssertSame(kf.grad!.to(BF16), k.grad!, "key gradient");
        AssertSame(vf.grad!.to(BF16), v.grad!, "value gradient");
    }

    [Fact]
    public void BackwardMultipliesAsTheForwardPassChose()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(6);
        var (x, w) = (Leaf(g, 5, 8), Leaf(g, 6, 8));
        var upstream = randn([5, 6], generator: g).to(BF16);
        Tensor y;
        y = Linear(x, w, null, InFloat32);
        y.backward([upstream]); // the node multiplies in the dtype its forward pass was given, whatever the options now

        var (xf, wf) = Widened(x, w) switch { var a => (a[0], a[1]) };
        nn.functional.linear(xf, wf).backward([upstream.to(ScalarType.Float32)]);
        AssertSame(xf.grad!.to(BF16), x.grad!, "input gradient");
        AssertSame(wf.grad!.to(BF16), w.grad!, "weight gradient");
    }

    [Fact]
    public void NativeKernelsAreLibtorchsOwnBfloat16Products()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(7);
        var w = randn([6, 8], generator: g).to(BF16);
        Assert.False(MultipliesInFloat32(w, Native));
        Assert.True(MultipliesInFloat32(w.to(ScalarType.Float16), Native)); // float16 multiplies in float32 regardless

        var layer = new AdaptableLinear(8, 6, hasBias: false, dtype: BF16);
        using (no_grad()) layer.weight.copy_(w);
        var x = randn([5, 8], generator: g).to(BF16);
        AssertSame(nn.functional.linear(x, w), layer.forward(x, Native), "projection");

        var (q, k, v) = (Leaf(g, 2, 3, 6, 4), Leaf(g, 2, 3, 6, 4), Leaf(g, 2, 3, 6, 4));
        var attended = KernelDispatch.Attention(q, k, v, null, causal: true, Native);
        AssertSame(nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true), attended, "attention");
        Assert.Equal(BF16, attended.dtype);
    }

    [Fact]
    public void NativeGemmsWithFloat32AttentionAreBothComputationsSideBySide()
    {
        var call = new KernelCall(new KernelOptions(NativeBfloat16Gemms: true, NativeBfloat16Attention: false));
        using var scope = NewDisposeScope();
        using var g = new Generator(11);
        var w = randn([6, 8], generator: g).to(BF16);
        var x = randn([5, 8], generator: g).to(BF16);
        Assert.False(MultipliesInFloat32(w, call));
        var layer = new AdaptableLinear(8, 6, hasBias: false, dtype: BF16);
        using (no_grad()) layer.weight.copy_(w);
        AssertSame(nn.functional.linear(x, w), layer.forward(x, call), "projection");

        var (q, k, v) = (Leaf(g, 2, 3, 6, 4), Leaf(g, 2, 3, 6, 4), Leaf(g, 2, 3, 6, 4));
        var attended = KernelDispatch.Attention(q, k, v, null, causal: true, call);
        var (qf, kf, vf) = Widened(q, k, v) switch { var a => (a[0], a[1], a[2]) };
        AssertSame(nn.functional.scaled_dot_product_attention(qf, kf, vf, is_casual: true).to(BF16), attended, "attention");
        Assert.Equal("native-gemm", call.Options.Describe());
    }

    [Fact]
    public void NativeGemmsAreTheDefaultWithAmxOrOnAmdWithBfloat16InstructionsAndNativeAttentionWithAmx()
    {
        var flags = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags", StringComparison.Ordinal)).Split(':')[1].Split(' ')
            : [];
        var amd = File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("vendor_id", StringComparison.Ordinal) && l.EndsWith("AuthenticAMD", StringComparison.Ordinal));
        Assert.Equal(flags.Contains("amx_bf16") || amd && flags.Contains("avx512_bf16"), KernelOptions.NativeGemmsByDefault);
        Assert.Equal(flags.Contains("amx_bf16"), KernelOptions.NativeAttentionByDefault);
        Assert.Equal(new KernelOptions(KernelOptions.NativeGemmsByDefault, KernelOptions.NativeAttentionByDefault), KernelOptions.ForThisCpu);
        // A model starts with this CPU's defaults, and holds what it is given.
        var model = new LlamaForCausalLM(Lora.LoraTestModels.LlamaTiny(), dtype: BF16);
        Assert.Equal(KernelOptions.ForThisCpu, model.Kernels);
        var flipped = new KernelOptions(!KernelOptions.NativeGemmsByDefault, !KernelOptions.NativeAttentionByDefault);
        model.Kernels = flipped;
        Assert.Equal(flipped, model.model.Kernels);
        Assert.Equal("native", KernelOptions.Native(true).Describe());
        Assert.Equal("float32", KernelOptions.Native(false).Describe());
        Assert.Equal("native-attention", new KernelOptions(NativeBfloat16Gemms: false, NativeBfloat16Attention: true).Describe());
    }
}
