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
        Assert.NotEqual(Floats(half.model.layers[0].self_attn.q_proj!.weight), Floats(masters.Parameters[names.IndexOf("model.layers.0.self_attn.q_proj.weight")]));
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

    [Fact]
    public void Float32NormGainsAreTheirOwnMastersAndKeepUpdatesBelowBfloat16sStep()
    {
        using var half = Model(ScalarType.BFloat16);
        var parameters = half.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        var gain = half.model.layers[0].input_layernorm.weight;
        Assert.Equal(ScalarType.Float32, gain.dtype);
        Assert.Equal(ScalarType.BFloat16, half.model.layers[0].mlp.up_proj!.weight.dtype);
        var masters = MasterWeights.For(parameters)!;
        var index = parameters.FindIndex(p => p.name == "model.layers.0.input_layernorm.weight");
        Assert.Same(gain, masters.Parameters[index]);

        using (var scope = NewDisposeScope())
        {
            half.forward(tensor(new long[] { 1, 5, 7, 2 }).unsqueeze(0)).pow(2).mean().backward();
            masters.MoveGradients();
            Assert.NotNull(gain.grad); // kept where backward put it, not moved and zeroed
            using var optimizer = new PyTorchAdamW(masters.Parameters, 1e-4, 0.9, 0.999, 1e-8, 0.0);
            optimizer.step();
            masters.CopyToModel();
        }
        // AdamW's first step moves every element by the learning rate: 1 - 1e-4 or 1 + 1e-4, which a bfloat16 gain
        // (step 2^-7 at 1) would have rounded back to exactly 1.
        Assert.All(Floats(gain), g => Assert.Equal(1e-4, Math.Abs(g - 1), 1e-6));
        masters.Dispose();
        Assert.Equal(16, Floats(gain).Length); // the model's own gain outlives the masters (reading a disposed one throws)
    }

    [Fact]
    public void MovedGradientsAreFloat32CopiesAndTheModelsOwnAreDropped()
    {
        using var half = Model(ScalarType.BFloat16);
        var parameters = half.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        using var masters = MasterWeights.For(parameters)!;
        var index = parameters.FindIndex(p => p.name == "model.layers.0.mlp.up_proj.weight");
        var weight = half.model.layers[0].mlp.up_proj!.weight;
        using var scope = NewDisposeScope();
        half.forward(tensor(new long[] { 1, 5, 7, 2 }).unsqueeze(0)).pow(2).mean().backward();
        var expected = Floats(weight.grad!);
        Assert.Contains(expected, g => g != 0);
        masters.MoveGradients();
        Assert.Null(weight.grad);
        var moved = masters.Parameters[index].grad!;
        Assert.Equal(ScalarType.Float32, moved.dtype);
        Assert.Equal(expected, Floats(moved));
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
