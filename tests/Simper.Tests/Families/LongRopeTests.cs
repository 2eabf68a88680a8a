using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Families;

public class LongRopeTests
{
    /// <summary>Phi-3.5's layout in miniature: head_dim 8 (4 frequencies), context 8192 extended from 4096.</summary>
    private static ModelConfig Phi(string extra = "") => ModelConfig.Parse($$"""
        {
          "architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_size": 16, "intermediate_size": 32,
          "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 50, "rope_theta": 10000.0,
          "max_position_embeddings": 8192, "original_max_position_embeddings": 4096,
          "rope_scaling": { "type": "longrope", "short_factor": [1, 2, 4, 8], "long_factor": [1, 1.5, 3, 6]{{extra}} }
        }
        """);

    [Fact]
    public void FrequenciesAnglesAndTheAttentionFactorAreAsWorkedByHand()
    {
        // theta^(2i/8) for i = 0..3 is 1, 10, 100, 1000; short factors 1, 2, 4, 8 make the frequencies
        // 1, 1/20, 1/400, 1/8000; long factors 1, 1.5, 3, 6 make them 1, 1/15, 1/300, 1/6000. The context grew by
        // s = 8192 / 4096 = 2, so cos and sin carry √(1 + ln 2 / ln 4096) = √(1 + 1/12) = √(13/12).
        var rope = new LlamaRotaryEmbedding(Phi());
        Assert.Equal([1, 1 / 20.0, 1 / 400.0, 1 / 8000.0], rope.inv_freq, (a, b) => Math.Abs(a - b) < 1e-15);
        var scale = Math.Sqrt(13 / 12.0);
        AssertTables(rope, position: 3, [1, 1 / 20.0, 1 / 400.0, 1 / 8000.0], scale);        // within 4096: short factors
        AssertTables(rope, position: 5000, [1, 1 / 15.0, 1 / 300.0, 1 / 6000.0], scale);     // past it: long factors
        // A stated attention_factor wins over the worked one.
        AssertTables(new LlamaRotaryEmbedding(Phi(", \"attention_factor\": 1.25")), position: 3, [1, 1 / 20.0, 1 / 400.0, 1 / 8000.0], 1.25);
    }

    [Fact]
    public void TheScalingRoundTripsAndAWrongFactorCountIsNamed()
    {
        var config = Phi();
        var again = ModelConfig.Parse(config.ToJson());
        Assert.Equal(config.LongRope!.ShortFactor, again.LongRope!.ShortFactor);
        Assert.Equal(config.LongRope.LongFactor, again.LongRope.LongFactor);
        Assert.Equal(config.ToJson(), again.ToJson());
        var error = Assert.Throws<SimperException>(() => ModelConfig.Parse(Phi().ToJson().Replace("\"short_factor\": [\n", "\"short_factor\": [\n      9,\n")));
        Assert.Contains("one factor per rotated channel pair (4)", error.Message);
    }

    private static void AssertTables(LlamaRotaryEmbedding rope, long position, double[] frequencies, double scale)
    {
        using var positions = torch.tensor(new[] { position }, [1, 1]);
        var (cos, sin) = rope.forward(positions, ScalarType.Float64); // [1, 1, 8]
        using (cos) using (sin)
        {
            double[] angles = [.. frequencies, .. frequencies];
            Assert.Equal(angles.Select(a => Math.Cos(position * a) * scale), cos.data<double>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);
            Assert.Equal(angles.Select(a => Math.Sin(position * a) * scale), sin.data<double>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);
        }
    }
}
