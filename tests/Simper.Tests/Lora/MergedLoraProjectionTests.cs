using Simper.Kernels;
using Simper.Lora;
using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Lora;

/// <summary>The merged LoRA projection gives the unfused layer's output and gradients: x Wᵀ + b + s·(x Aᵀ) Bᵀ.</summary>
public class MergedLoraProjectionTests
{
    // Five rows: the merged block is built again for the backward pass; forty: the forward pass's block is kept.
    [Theory]
    [InlineData(true, true, 6, 4, 5)]
    [InlineData(false, true, 6, 4, 5)]
    [InlineData(true, false, 6, 4, 5)]
    [InlineData(false, true, 1100, 1030, 5)] // a wide layer, out ≠ in, as the reductions meet in a model
    [InlineData(true, true, 6, 4, 40)]
    [InlineData(false, true, 6, 4, 40)]
    [InlineData(true, false, 6, 4, 40)]
    public void EqualsTheUnfusedLayer(bool hasBias, bool inputNeedsGrad, int inFeatures, int outFeatures, int rows)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(11);
        const double scale = 2.0;
        Tensor Rand(params long[] shape) => randn(shape, ScalarType.Float64, generator: g);
        var x = Rand(rows, inFeatures).requires_grad_(inputNeedsGrad);
        var (weight, bias) = (Rand(outFeatures, inFeatures), hasBias ? Rand(outFeatures) : null); // frozen base
        var (a, b) = (Rand(3, inFeatures).requires_grad_(true), Rand(outFeatures, 3).requires_grad_(true));
        var upstream = Rand(rows, outFeatures);
        Assert.Equal(rows == 40, MergedLoraProjection.HoldsBlock(rows, outFeatures, inFeatures, rank: 3));

        var merged = MergedLoraProjection.Run(x, weight, bias, a, b, scale); // [rows, out]
        merged.backward([upstream]);
        var (gx, ga, gb) = (x.grad?.clone(), a.grad!.clone(), b.grad!.clone());
        foreach (var t in new[] { x, a, b }) t.grad?.zero_();

        var unfused = nn.functional.linear(x, weight, bias) + scale * x.matmul(a.t()).matmul(b.t());
        unfused.backward([upstream]);

        Assert.True(merged.allclose(unfused, rtol: 1e-12, atol: 1e-12), "output");
        Assert.True(ga.allclose(a.grad!, rtol: 1e-12, atol: 1e-12), "A gradient");
        Assert.True(gb.allclose(b.grad!, rtol: 1e-12, atol: 1e-12), "B gradient");
        if (inputNeedsGrad) Assert.True(gx!.allclose(x.grad!, rtol: 1e-12, atol: 1e-12), "input gradient");
        else Assert.Null(gx);
        Assert.Null(weight.grad);
    }

    // The forward pass's block is kept only where it is no larger than the input rows: bench-26m's widest
    // projection on its 2560-token batch, (1376 + 16)·(512 + 16) = 734,976 against 2560·512 = 1,310,720; not
    // Llama-2-7B's MLP on 2048 tokens, (11008 + 16)·(4096 + 16) = 45,330,688 against 2048·4096 = 8,388,608.
    [Theory]
    [InlineData(2560, 1376, 512, true)]
    [InlineData(2560, 512, 1376, true)]
    [InlineData(1000, 1376, 512, false)]
    [InlineData(2048, 11008, 4096, false)]
    [InlineData(2048, 4096, 4096, false)]
    [InlineData(8192, 4096, 4096, true)]
    public void KeepsTheBlockOnlyWhereItIsNoLargerThanTheInput(long rows, long outFeatures, long inFeatures, bool kept) =>
        Assert.Equal(kept, MergedLoraProjection.HoldsBlock(rows, outFeatures, inFeatures, rank: 16));

    [Fact]
    public void Bfloat16BaseMergesInFloat32AndIsLeftUnchanged()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var x = randn(5, 6, generator: g).to(ScalarType.BFloat16).requires_grad_(true);
        var weight = randn(4, 6, generator: g).to(ScalarType.BFloat16); // frozen 16-bit base
        var original = weight.clone();
        var (a, b) = (randn(3, 6, generator: g).requires_grad_(true), randn(4, 3, generator: g).requires_grad_(true)); // float32 adapter

        var merged = MergedLoraProjection.Run(x, weight, null, a, b, 2.0); // [5, 4]
        merged.backward([torch.ones(5, 4, dtype: ScalarType.BFloat16)]);

        Assert.True(weight.equal(original).all().item<bool>(), "the base weight must not change");
        using var noGrad = no_grad();
        var expected = x.to(ScalarType.Float32).matmul((original.to(ScalarType.Float32) + 2.0 * b.matmul(a)).t()).to(ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, merged.dtype);
        Assert.True(merged.to(ScalarType.Float32).allclose(expected.to(ScalarType.Float32), rtol: 1e-2, atol: 1e-2), "output");
        Assert.Equal(ScalarType.BFloat16, x.grad!.dtype);
    }

    [Fact]
    public void LoraLayerWithoutDropoutKeepsItsOutputAndAdapterGradients()
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(5);
        var layer = new AdaptableLinear(6, 4, hasBias: true);
        layer.weight.requires_grad_(false);
        layer.bias!.requires_grad_(false);
        layer.AttachAdapter(rank: 2, alpha: 4, dropout: 0);
        using (no_grad()) layer.lora_B!.weight!.normal_();
        var x = randn(3, 6);
        var output = layer.forward(x);
        output.sum().backward();
        var (a, b) = (layer.lora_A!.weight!, layer.lora_B.weight!);
        var expected = nn.functional.linear(x, layer.weight, layer.bias) + 2.0 * x.matmul(a.t()).matmul(b.t());
        Assert.True(output.allclose(expected, rtol: 1e-5, atol: 1e-5));
        // d sum / dA = s·(1 B)ᵀ x and d sum / dB = s·1ᵀ (x Aᵀ), with 1 the [3, 4] ones.
        using var noGrad = no_grad();
        var ones = torch.ones(3, 4);
        Assert.True(a.grad!.allclose(2.0 * ones.matmul(b).t().matmul(x), rtol: 1e-5, atol: 1e-5), "A gradient");
        Assert.True(b.grad!.allclose(2.0 * ones.t().matmul(x.matmul(a.t())), rtol: 1e-5, atol: 1e-5), "B gradient");
        Assert.Null(layer.weight.grad);
    }
}
