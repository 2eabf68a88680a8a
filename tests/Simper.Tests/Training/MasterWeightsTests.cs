using Simper.Models;
using Simper.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Training;

public class MasterWeightsTests
{
    [Fact]
    public void MastersStartFromTheFullPrecisionWeightsTheModelWasRoundedFrom()
    {
        using var full = Model(ScalarType.Float32);
        using var half = Model(ScalarType.BFloat16);
        using (torch.no_grad())
        {
            var source = full.state_dict();
            foreach (var (name, target) in half.state_dict()) target.copy_(source[name]);
        }
        var start = full.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        using var masters = MasterWeights.For(half.named_parameters().Select(p => (p.name, p.parameter)), start)!;
        var names = half.named_parameters().Select(p => p.name).ToList();
        for (var i = 0; i < names.Count; i++)
        {
            // Bit for bit the float32 start, not its bfloat16 rounding.
            Assert.Equal(Floats(start[names[i]]), Floats(masters.Parameters[i]));
        }
        Assert.NotEqual(Floats(half.model.layers[0].self_attn.q_proj.weight), Floats(masters.Parameters[names.IndexOf("model.layers.0.self_attn.q_proj.weight")]));
    }

    [Fact]
    public void AStartThatDoesNotRoundToTheModelIsRejected()
    {
        using var half = Model(ScalarType.BFloat16);
        using var other = ModelFactory.CreateRandom(Config(), seed: 99, torch.CPU);
        var start = other.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var error = Assert.Throws<ArgumentException>(() => MasterWeights.For(half.named_parameters().Select(p => (p.name, p.parameter)), start));
        Assert.StartsWith("start value of model.embed_tokens.weight does not round to the model's weight", error.Message);
    }

    [Fact]
    public void WithoutAStartMastersHoldTheModelsValues()
    {
        using var half = Model(ScalarType.BFloat16);
        var parameters = half.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        using var masters = MasterWeights.For(parameters)!;
        for (var i = 0; i < parameters.Count; i++)
            Assert.Equal(Floats(parameters[i].parameter), Floats(masters.Parameters[i]));
        Assert.All(masters.Parameters, m => Assert.Equal(ScalarType.Float32, m.dtype));
    }

    private static ModelConfig Config() => ModelConfig.Parse("""
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama",
          "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 1,
          "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 32,
          "max_position_embeddings": 32, "tie_word_embeddings": false, "hidden_act": "silu", "initializer_range": 0.2
        }
        """);

    private static LlamaForCausalLM Model(ScalarType dtype) => ModelFactory.CreateRandom(Config(), seed: 4, torch.CPU, dtype);

    private static float[] Floats(Tensor t)
    {
        using var f = t.detach().to(ScalarType.Float32).contiguous();
        return f.data<float>().ToArray();
    }
}
