using Simper.Lora;
using Simper.Models;
using static Simper.Tests.Lora.LoraTestModels;

namespace Simper.Tests.Lora;

public class LoraParameterCountsTests
{
    public static TheoryData<string[], int> Targets => new()
    {
        { ["all-linear"], 4 },
        { ["q_proj", "v_proj"], 8 },
        { ["down_proj", "o_proj", "k_proj"], 2 },
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public void CountsFromTheConfigEqualTheCountsOfTheAdaptedModel(string[] targets, int rank)
    {
        // LlamaTiny has attention and MLP biases and grouped-query heads, so every term of the arithmetic is exercised.
        var config = LlamaTiny();
        var lora = new LoraConfig { Rank = rank, TargetModules = targets };
        using var model = ModelFactory.CreateRandom(config, seed: 3);
        LoraModel.Apply(model, lora);
        Assert.Equal(LoraModel.CountParameters(model), LoraParameterCounts.For(config, lora));
    }

    [Theory]
    [InlineData("qwen3")]
    [InlineData("phi3")]
    [InlineData("gemma2")]
    [InlineData("gemma3_text")]
    public void EveryFamilysCountsFromTheConfigEqualTheAdaptedModels(string family)
    {
        // Qwen3 and Gemma 3 add per-head norms, Phi-3 fuses projections, Gemma has four norms a layer.
        var config = ModelConfig.Parse(ModelConfig.ForFamily(LlamaTiny() with { AttentionBias = false, MlpBias = false }, family).ToJson());
        var lora = new LoraConfig { Rank = 4, TargetModules = [LoraConfig.AllLinear] };
        using var model = ModelFactory.CreateRandom(config, seed: 3);
        LoraModel.Apply(model, lora);
        Assert.Equal(LoraModel.CountParameters(model), LoraParameterCounts.For(config, lora));
    }

    [Fact]
    public void TiedEmbeddingsCountOnce()
    {
        var config = LlamaTiny() with { TieWordEmbeddings = true };
        var lora = new LoraConfig { Rank = 4, TargetModules = [LoraConfig.AllLinear] };
        using var model = ModelFactory.CreateRandom(config, seed: 3);
        LoraModel.Apply(model, lora);
        Assert.Equal(LoraModel.CountParameters(model), LoraParameterCounts.For(config, lora));
    }

    [Fact]
    public void Llama2SevenBShapeWithRank16OnAllLinearLayers()
    {
        var config = ModelConfig.Parse("""
            {
              "architectures": ["LlamaForCausalLM"], "model_type": "llama",
              "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
              "num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 32000,
              "max_position_embeddings": 4096, "tie_word_embeddings": false, "hidden_act": "silu"
            }
            """);
        var counts = LoraParameterCounts.For(config, new LoraConfig { Rank = 16, TargetModules = [LoraConfig.AllLinear] });
        // Worked out by hand. Base: per layer 4 attention projections 4096², 3 MLP projections 4096·11008, 2 norms;
        // embeddings and head 32000·4096 each; final norm 4096 — Llama-2-7B's published 6,738,415,616.
        long perLayer = 4L * 4096 * 4096 + 3L * 4096 * 11008 + 2 * 4096;
        long baseTotal = 32 * perLayer + 2L * 32000 * 4096 + 4096;
        Assert.Equal(6_738_415_616, baseTotal);
        // Adapters: r·(in + out) per projection, 32 layers.
        long adapters = 32 * 16L * (4 * (4096 + 4096) + 3 * (4096 + 11008));
        Assert.Equal(39_976_960, adapters);
        Assert.Equal(new ParameterCounts(adapters, baseTotal + adapters), counts);
        Assert.Equal(0.58977, counts.TrainablePercent, 5);
    }

    [Fact]
    public void AnUnknownTargetIsTheSameOneLineErrorAsApplying()
    {
        var error = Assert.Throws<SimperException>(() => LoraParameterCounts.For(LlamaTiny(), new LoraConfig { TargetModules = ["q_proj", "lm_head"] }));
        Assert.Equal("lora: target module \"lm_head\" matches no projection of the model; expected any of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, or all-linear", error.Message);
    }
}
