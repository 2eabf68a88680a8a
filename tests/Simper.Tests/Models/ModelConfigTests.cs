using Simper.Models;

namespace Simper.Tests.Models;

public class ModelConfigTests
{
    private const string Llama = """
        { "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 172,
          "num_hidden_layers": 5, "num_attention_heads": 8, "vocab_size": 512, "hidden_act": "silu", "eos_token_id": 2 }
        """;

    [Fact]
    public void DefaultsFollowTransformers()
    {
        var config = ModelConfig.Parse(Llama);
        Assert.Equal("LlamaForCausalLM", config.Architecture);
        Assert.Equal(8, config.NumKeyValueHeads);
        Assert.Equal(8, config.HeadDim);
        Assert.Equal(1e-6, config.RmsNormEps);
        Assert.Equal(10000.0, config.RopeTheta);
        Assert.Equal(2048, config.MaxPositionEmbeddings);
        Assert.False(config.TieWordEmbeddings);
        Assert.Equal([2], config.EosTokenIds);
        Assert.False(config.QkvBias);
    }

    [Fact]
    public void Qwen2HasQkvBiasButNoOutputBias()
    {
        var config = TestModels.Qwen2Tiny();
        Assert.True(config.QkvBias);
        Assert.False(config.OutputBias);
        Assert.False(config.MlpHasBias);
        Assert.Equal(12, config.HeadDim);
        Assert.Equal([2, 3], config.EosTokenIds);
    }

    [Fact]
    public void JsonRoundTrips()
    {
        foreach (var config in new[] { ModelConfig.Parse(Llama), TestModels.Qwen2Tiny(), ModelConfig.Parse(Llama.Replace("\"eos_token_id\": 2",
                     "\"eos_token_id\": 2, \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}")) })
        {
            var json = config.ToJson(TorchSharp.torch.ScalarType.BFloat16);
            var again = ModelConfig.Parse(json);
            Assert.Equal(json, again.ToJson());
            Assert.Equal("bfloat16", again.TorchDtype);
            Assert.Equal(config.RopeScaling, again.RopeScaling);
            Assert.Equal(config.EosTokenIds, again.EosTokenIds);
        }
    }

    [Theory]
    [InlineData("\"model_type\": \"llama\"", "\"model_type\": \"gpt2\"", "config.json: field \"model_type\" is \"gpt2\"; expected one of llama, mistral, qwen2, qwen3, phi3, gemma2, gemma3_text")]
    [InlineData("\"LlamaForCausalLM\"", "\"LlamaForSequenceClassification\"", "config.json: field \"architectures\" is \"LlamaForSequenceClassification\"; expected \"LlamaForCausalLM\" for model_type llama")]
    [InlineData("\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"", "config.json: field \"hidden_act\" is \"gelu\"; expected \"silu\"")]
    [InlineData("\"hidden_size\": 64", "\"hidden_size\": \"64\"", "config.json: field \"hidden_size\" is \"64\"; expected an integer")]
    [InlineData("\"eos_token_id\": 2", "\"eos_token_id\": 2, \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0}",
        "config.json: field \"rope_scaling.rope_type\" is \"yarn\"; expected \"llama3\", \"linear\", \"longrope\" or \"default\" (other RoPE scalings are not supported)")]
    [InlineData("\"num_attention_heads\": 8", "\"num_attention_heads\": 8, \"num_key_value_heads\": 3", "config.json: field \"num_key_value_heads\" is 3; expected a divisor of num_attention_heads (8)")]
    public void UnsupportedValuesNameTheField(string find, string replace, string message)
    {
        var error = Assert.Throws<SimperException>(() => ModelConfig.Parse(Llama.Replace(find, replace)));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void MistralSlidesOnEveryLayerAndTheWindowRoundTrips()
    {
        var json = Llama.Replace("\"LlamaForCausalLM\"", "\"MistralForCausalLM\"").Replace("\"llama\"", "\"mistral\"")
            .Replace("\"eos_token_id\": 2", "\"eos_token_id\": 2, \"max_position_embeddings\": 32768, \"sliding_window\": 4096");
        var config = ModelConfig.Parse(json);
        Assert.All(Enumerable.Range(0, config.NumHiddenLayers), i => Assert.Equal(4096, config.WindowOf(i)));
        Assert.Equal(4096, ModelConfig.Parse(config.ToJson()).SlidingWindow);
        Assert.Null(ModelConfig.Parse(json.Replace("4096", "null")).Window);
        // Without the field, transformers' MistralConfig default of 4096 applies.
        Assert.Equal(4096, ModelConfig.Parse(json.Replace(", \"sliding_window\": 4096", "")).WindowOf(0));
        var error = Assert.Throws<SimperException>(() => ModelConfig.Parse(json.Replace("4096", "0")));
        Assert.Equal("config.json: field \"sliding_window\" is 0; expected null or a positive number of positions", error.Message);
    }

    [Theory]
    [InlineData("false", null, null, new int[0])]            // the window is ignored without use_sliding_window
    [InlineData("true", "1", null, new[] { 1, 2 })]           // layers from max_window_layers on
    [InlineData("true", "0", "[\"full_attention\", \"sliding_attention\", \"full_attention\"]", new[] { 1 })] // layer_types decide
    public void QwenSlidesOnlyWhereTransformersDoes(string use, string? fromLayer, string? layerTypes, int[] sliding)
    {
        var config = ModelConfig.Parse($$"""
            {
              "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 32, "intermediate_size": 64,
              "num_hidden_layers": 3, "num_attention_heads": 4, "vocab_size": 50, "sliding_window": 8,
              "use_sliding_window": {{use}}{{(fromLayer is null ? "" : $", \"max_window_layers\": {fromLayer}")}}
              {{(layerTypes is null ? "" : $", \"layer_types\": {layerTypes}")}}
            }
            """);
        Assert.Equal(sliding, Enumerable.Range(0, 3).Where(i => config.WindowOf(i) == 8));
        Assert.Equal(config, ModelConfig.Parse(config.ToJson()) with { EosTokenIds = config.EosTokenIds, LayerTypes = config.LayerTypes });
    }

    [Fact]
    public void MissingConfigFileIsNamed()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<SimperException>(() => ModelConfig.Load(temp.File("config.json")));
        Assert.StartsWith(temp.File("config.json") + ": file not found", error.Message);
    }
}
