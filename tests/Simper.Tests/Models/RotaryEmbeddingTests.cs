using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Models;

public class RotaryEmbeddingTests
{
    private static ModelConfig Llama3(int headDim) => ModelConfig.Parse($$"""
        { "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": {{headDim * 2}}, "intermediate_size": 8,
          "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 10, "rope_theta": 500000.0,
          "rope_scaling": { "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                            "original_max_position_embeddings": 8192 } }
        """);

    [Fact]
    public void Llama3ScalingMatchesTheVectorisedReferenceFormula()
    {
        const int dim = 128;
        var actual = LlamaRotaryEmbedding.InverseFrequencies(Llama3(dim));

        // transformers' _compute_llama3_parameters, written with whole-tensor operations in float64.
        using var scope = torch.NewDisposeScope();
        var baseFreq = 1.0 / torch.pow(500000.0, torch.arange(0, dim, 2, dtype: ScalarType.Float64) / dim);
        var wavelen = 2 * Math.PI / baseFreq;
        double lowWavelen = 8192 / 1.0, highWavelen = 8192 / 4.0;
        var scaled = torch.where(wavelen > lowWavelen, baseFreq / 8.0, baseFreq);
        var smooth = (8192 / wavelen - 1.0) / (4.0 - 1.0);
        var smoothed = (1 - smooth) * scaled / 8.0 + smooth * scaled;
        var medium = wavelen.ge(highWavelen).logical_and(wavelen.le(lowWavelen));
        var expected = torch.where(medium, smoothed, scaled).data<double>().ToArray();

        Assert.Equal(64, actual.Length);
        for (var i = 0; i < 64; i++) Assert.Equal(expected[i], actual[i], 1e-15);
        // Hand-checked ends: the fastest pair is untouched, the slowest is divided by the factor.
        Assert.Equal(1.0, actual[0]);
        Assert.Equal(Math.Pow(500000.0, -126.0 / 128) / 8, actual[63], 1e-18);
        // Some pairs fall in the smoothed band (wavelength between 2048 and 8192), so interpolation is exercised.
        var band = Enumerable.Range(0, 64).Where(i => 2 * Math.PI * Math.Pow(500000.0, 2.0 * i / dim) is >= 2048 and <= 8192).ToList();
        Assert.NotEmpty(band);
        Assert.All(band, i => Assert.InRange(actual[i], Math.Pow(500000.0, -2.0 * i / dim) / 8, Math.Pow(500000.0, -2.0 * i / dim)));
    }

    [Fact]
    public void RotationOfPositionOneTurnsEachPairByItsFrequency()
    {
        var config = Llama3(4) with { RopeScaling = null, RopeTheta = 100.0 };
        using var rope = new LlamaRotaryEmbedding(config);
        using var positions = torch.tensor(new long[] { 1 }, [1, 1]);
        var (cos, sin) = rope.forward(positions, ScalarType.Float64);
        using var x = torch.tensor(new double[] { 1, 0, 0, 0 }, [1, 1, 1, 4]); // pair 0 = (x0, x2) = (1, 0)
        using var rotated = LlamaRotaryEmbedding.Apply(x, cos, sin);
        // Frequencies 1/100^(0/4) = 1 and 1/100^(2/4) = 0.1; (1, 0) rotated by 1 radian is (cos 1, sin 1) in (x0, x2).
        Assert.Equal(new[] { Math.Cos(1), 0, Math.Sin(1), 0 }, rotated.data<double>().ToArray(), new ToleranceComparer(1e-7));
        cos.Dispose();
        sin.Dispose();
    }
}

internal sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
{
    public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;
    public int GetHashCode(double value) => 0;
}
