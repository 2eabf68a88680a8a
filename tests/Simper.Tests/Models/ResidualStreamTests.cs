using Simper.Kernels;
using Simper.Models;
using Simper.Tests.Packing;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Models;

/// <summary>A 16-bit model carries its residual stream in float32; its layers and its output stay 16-bit.</summary>
public class ResidualStreamTests
{
    [Fact]
    public void Bfloat16ModelsSumTheirLayersInFloat32()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = PackingFixtures.RandomGqaModel(ScalarType.BFloat16);
        var ids = tensor(new long[] { 5, 17, 3, 40, 22, 9, 61, 8 }).view(2, 4); // [B, T]
        var positions = arange(4).unsqueeze(0).expand(2, 4);
        var (cos, sin) = model.model.rotary_emb.forward(positions, ScalarType.BFloat16);
        var inputs = new LayerInputs(cos, sin, null, null, null, new KernelCall(model.Kernels));

        // The stream by hand: embeddings widened to float32, each layer adding its output to the float32 sum.
        var stream = model.model.embed_tokens.forward(ids).to(ScalarType.Float32); // [B, T, H]
        foreach (var layer in model.model.layers)
        {
            stream = layer.forward(stream, inputs);
            Assert.Equal(ScalarType.Float32, stream.dtype);
        }
        var expected = model.model.norm.forward(stream);

        var hidden = model.HiddenStates(ids);
        Assert.Equal(ScalarType.BFloat16, hidden.dtype);
        Assert.True(expected.equal(hidden).all().item<bool>(),
            $"max difference {(expected.to(ScalarType.Float32) - hidden.to(ScalarType.Float32)).abs().max().item<float>()}");

        // A stream rounded to bfloat16 after each layer gives other hidden states: the test tells the two apart.
        var rounded = model.model.embed_tokens.forward(ids);
        foreach (var layer in model.model.layers) rounded = layer.forward(rounded, inputs).to(ScalarType.BFloat16);
        Assert.False(model.model.norm.forward(rounded).equal(hidden).all().item<bool>());
    }

    [Theory]
    [InlineData(ScalarType.BFloat16, ScalarType.Float32)]
    [InlineData(ScalarType.Float16, ScalarType.Float32)]
    [InlineData(ScalarType.Float32, ScalarType.Float32)]
    [InlineData(ScalarType.Float64, ScalarType.Float64)]
    public void ResidualTypeWidensOnly16BitWeights(ScalarType weights, ScalarType residual) =>
        Assert.Equal(residual, LlamaModel.ResidualType(weights));

    [Fact]
    public void NormKeepsAFloat32GainAndReturnsTheModelsDtypeRoundedOnce()
    {
        using var scope = NewDisposeScope();
        var norm = new LlamaRMSNorm(4, 1e-6, dtype: ScalarType.BFloat16);
        Assert.Equal(ScalarType.Float32, norm.weight.dtype);
        using (no_grad()) norm.weight.copy_(tensor(new float[] { 1.0035f, 0.9965f, 1.0037f, 0.9963f }));
        var x = tensor(new float[] { 1, 2, 3, 4 }); // float32 stream
        var y = norm.forward(x);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        // x / sqrt(mean(x²) + eps) · gain with mean(x²) = 7.5, in float32, rounded once to bfloat16.
        var expected = (x / Math.Sqrt(7.5 + 1e-6) * norm.weight).to(ScalarType.BFloat16);
        Assert.True(expected.equal(y).all().item<bool>());
        // Rounding the gain as well would have changed the output: the gain's low bits reach it.
        var roundedGain = (x / Math.Sqrt(7.5 + 1e-6)).to(ScalarType.BFloat16) * norm.weight.to(ScalarType.BFloat16);
        Assert.False(roundedGain.equal(y).all().item<bool>());
    }
}
