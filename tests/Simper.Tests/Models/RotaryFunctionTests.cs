using Simper.Kernels;
using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Models;

/// <summary>The fused rotary node gives transformers' apply_rotary_pos_emb values and autograd's gradients.</summary>
public class RotaryFunctionTests
{
    /// <summary>transformers' q·cos + rotate_half(q)·sin, left to autograd.</summary>
    private static Tensor Plain(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.size(-1) / 2;
        var rotated = torch.cat([-x[TensorIndex.Ellipsis, TensorIndex.Slice(half)], x[TensorIndex.Ellipsis, TensorIndex.Slice(0, half)]], -1);
        return x * cos.unsqueeze(1) + rotated * sin.unsqueeze(1);
    }

    /// <summary>A query laid out as the attention makes it, [B, T, NH, D] transposed to [B, NH, T, D], and real tables.</summary>
    private static (Tensor X, Tensor Cos, Tensor Sin, Tensor G) Inputs(ScalarType type)
    {
        var generator = new Generator(11);
        var x = torch.randn([2, 5, 3, 8], generator: generator, dtype: ScalarType.Float64).to(type).transpose(1, 2); // [B, NH, T, D], not contiguous
        var config = ModelConfig.Parse("""
            { "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 24, "intermediate_size": 8,
              "num_hidden_layers": 1, "num_attention_heads": 3, "vocab_size": 10 }
            """);
        using var rope = new LlamaRotaryEmbedding(config);
        var (cos, sin) = rope.forward(torch.tensor(new long[] { 0, 1, 2, 3, 4, 7, 8, 9, 10, 11 }, [2, 5]), type); // [B, T, D]
        var g = torch.randn([2, 3, 5, 8], generator: generator, dtype: ScalarType.Float64).to(type);
        return (x, cos, sin, g);
    }

    private static (Tensor Y, Tensor Dx) Run(Func<Tensor, Tensor> rotate, Tensor x, Tensor g)
    {
        var leaf = x.detach().requires_grad_();
        var y = rotate(leaf);
        y.backward([g]);
        return (y.detach(), leaf.grad!);
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1e-6)]
    [InlineData(ScalarType.Float64, 1e-14)]
    public void ValuesAreTheExpressionsBitForBitAndGradientsAutogradsToRounding(ScalarType type, double tolerance)
    {
        using var scope = NewDisposeScope();
        var (x, cos, sin, g) = Inputs(type);
        var fused = Run(t => LlamaRotaryEmbedding.Apply(t, cos, sin), x, g);
        var plain = Run(t => Plain(t, cos, sin), x, g);
        Assert.True(fused.Y.equal(plain.Y).all().item<bool>(), $"values off by {(fused.Y - plain.Y).abs().max().to(ScalarType.Float64).item<double>()}");
        Assert.True(fused.Dx.allclose(plain.Dx, rtol: 0, atol: tolerance), $"dx off by {(fused.Dx - plain.Dx).abs().max().to(ScalarType.Float64).item<double>()}");
        using (no_grad()) Assert.True(LlamaRotaryEmbedding.Apply(x, cos, sin).equal(plain.Y).all().item<bool>());
    }

    [Fact]
    public void BackwardIsTheRotationByMinusTheAngle()
    {
        using var scope = NewDisposeScope();
        // One head of dimension 2 at angle θ: y = (x₁cosθ − x₂sinθ, x₂cosθ + x₁sinθ), so dx = (g₁cosθ + g₂sinθ, g₂cosθ − g₁sinθ).
        var theta = 0.7;
        var cos = tensor(new double[] { Math.Cos(theta), Math.Cos(theta) }, [1, 1, 2]);
        var sin = tensor(new double[] { Math.Sin(theta), Math.Sin(theta) }, [1, 1, 2]);
        var x = tensor(new double[] { 2, -1 }, [1, 1, 1, 2]).requires_grad_();
        var y = LlamaRotaryEmbedding.Apply(x, cos, sin);
        Assert.Equal(2 * Math.Cos(theta) + Math.Sin(theta), y.data<double>()[0], 1e-15);
        Assert.Equal(-Math.Cos(theta) + 2 * Math.Sin(theta), y.data<double>()[1], 1e-15);
        y.backward([tensor(new double[] { 1, 3 }, [1, 1, 1, 2])]);
        Assert.Equal(Math.Cos(theta) + 3 * Math.Sin(theta), x.grad!.data<double>()[0], 1e-15);
        Assert.Equal(3 * Math.Cos(theta) - Math.Sin(theta), x.grad!.data<double>()[1], 1e-15);
    }

    [Fact]
    public void EachHalfReadsItsOwnHalfOfTheTables()
    {
        using var scope = NewDisposeScope();
        // Tables whose halves differ (real ones repeat), so mixing up sin₁ and sin₂ shows: y and dx are linear in them.
        var cos = tensor(new double[] { 0.3, 0.5, -0.4, 0.9 }, [1, 1, 4]);
        var sin = tensor(new double[] { 0.7, -0.2, 0.6, 0.1 }, [1, 1, 4]);
        var x = tensor(new double[] { 2, -1, 0.5, 3 }, [1, 1, 1, 4]);
        var g = tensor(new double[] { 1, 3, -2, 0.25 }, [1, 1, 1, 4]);
        var fused = Run(t => LlamaRotaryEmbedding.Apply(t, cos, sin), x, g);
        var plain = Run(t => Plain(t, cos, sin), x, g);
        Assert.Equal(plain.Y.data<double>().ToArray(), fused.Y.data<double>().ToArray(), new ToleranceComparer(1e-15));
        Assert.Equal(plain.Dx.data<double>().ToArray(), fused.Dx.data<double>().ToArray(), new ToleranceComparer(1e-15));
    }
}
