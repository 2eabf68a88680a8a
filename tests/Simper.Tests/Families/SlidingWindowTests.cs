using Simper.Generation;
using Simper.Kernels;
using Simper.Models;
using Simper.Scoring;
using TorchSharp;
using static Simper.Tests.Packing.PackingFixtures;
using static TorchSharp.torch;

namespace Simper.Tests.Families;

public class SlidingWindowTests
{
    /// <summary>Mistral with a window of 4 positions, so every sequence here is cut.</summary>
    private static LlamaForCausalLM Mistral(ScalarType dtype, int window = 4) => ModelFactory.CreateRandom(ModelConfig.Parse($$"""
        {
          "architectures": ["MistralForCausalLM"], "model_type": "mistral",
          "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
          "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 64,
          "max_position_embeddings": 128, "rms_norm_eps": 1e-5, "sliding_window": {{window}},
          "tie_word_embeddings": false, "hidden_act": "silu", "initializer_range": 0.2
        }
        """), seed: 3, torch.CPU, dtype);

    [Fact]
    public void TheWindowMaskSeesExactlyTheLastWindowKeys()
    {
        using var positions = torch.arange(6L).unsqueeze(0); // [1, 6]
        using var mask = AttentionMasks.Windowed(null, positions, 6, 0, 3);
        using var expected = torch.tensor(Enumerable.Range(0, 36).Select(c => c % 6 <= c / 6 && c / 6 - c % 6 < 3).ToArray(), [1, 1, 6, 6]);
        Assert.Equal(expected.data<bool>().ToArray(), mask.data<bool>().ToArray());
        // After 4 cached positions, query 0 sits at position 4 and sees keys 2..4.
        using var cached = AttentionMasks.Windowed(null, positions[.., ..1], 1, 4, 3);
        Assert.Equal([false, false, true, true, true], cached.data<bool>().ToArray());
    }

    [Fact]
    public void AWindowThatCoversEveryGroupLeavesThePackedLayoutAsItIs()
    {
        var packed = new PackedAttention([new AttentionBlock(0, 5), new AttentionBlock(5, 3), new AttentionBlock(8, 2, 5, 2)]);
        Assert.Same(packed, packed.Windowed(7));
        Assert.NotSame(packed, packed.Windowed(4));
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1e-5)]
    [InlineData(ScalarType.Float64, 1e-9)]
    public void PackingAndSharedPromptsMatchThePaddedPathUnderAWindow(ScalarType dtype, double tolerance)
    {
        using var model = Mistral(dtype);
        var pairs = VariedPairs(6, seed: 5);
        using var noGrad = torch.no_grad();
        using var padded = PairForward.Score(model, pairs, PairPacking.Padded, padId: 0);
        foreach (var mode in AllModes.Where(m => m != PairPacking.Padded))
        {
            using var s = PairForward.Score(model, pairs, mode, padId: 0);
            Assert.Equal(Values(padded.ChosenSum), Values(s.ChosenSum), (a, b) => Math.Abs(a - b) <= tolerance);
            Assert.Equal(Values(padded.RejectedSum), Values(s.RejectedSum), (a, b) => Math.Abs(a - b) <= tolerance);
        }
        // The window matters: the same weights with a window past every sequence give other sums.
        using var wide = Mistral(dtype, window: 64);
        using var full = PairForward.Score(wide, pairs, PairPacking.Padded, padId: 0);
        Assert.Contains(Values(full.ChosenSum).Zip(Values(padded.ChosenSum)), p => Math.Abs(p.First - p.Second) > 1e-3);
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1e-4)]
    [InlineData(ScalarType.Float64, 1e-9)]
    public void GradientsAgreeAcrossModesUnderAWindow(ScalarType dtype, double tolerance)
    {
        using var model = Mistral(dtype);
        var pairs = VariedPairs(6, seed: 9);
        var padded = SimperGradients(model, pairs, PairPacking.Padded);
        foreach (var mode in AllModes.Where(m => m != PairPacking.Padded))
        {
            var error = WorstRelativeError(padded, SimperGradients(model, pairs, mode));
            Assert.True(error < tolerance, $"{mode}: relative gradient error {error:g3}");
        }
    }

    [Fact]
    public void CachedDecodingPastTheWindowEqualsTheFullForward()
    {
        using var model = Mistral(ScalarType.Float64);
        using var noGrad = torch.no_grad();
        using var ids = torch.tensor(new long[] { 5, 9, 13, 2, 40, 41, 7, 8, 30, 31, 12 }, [1, 11]);
        using var full = model.forward(ids); // [1, 11, V]
        using var cache = model.NewCache();
        var steps = new List<Tensor> { model.forward(ids[.., ..3], cache: cache) }; // a 3-token prompt, then one token at a time
        for (var t = 3; t < 11; t++) steps.Add(model.forward(ids[.., t..(t + 1)], cache: cache));
        using var cached = torch.cat(steps, 1);
        Assert.True(cached.allclose(full, rtol: 0, atol: 1e-10), $"largest difference {(cached - full).abs().max().item<double>():g3}");
        foreach (var s in steps) s.Dispose();
    }

    [Fact]
    public void CachedGenerationEqualsUncachedPastTheWindowForLeftPaddedPrompts()
    {
        using var model = Mistral(ScalarType.Float64);
        int[][] prompts = [[5, 9, 13, 2, 40, 41], [7], [30, 31, 12]];
        var options = new GenerationOptions { MaxNewTokens = 12, EosTokenIds = [] };
        var cached = TokenGenerator.Generate(model, prompts, options);
        Assert.Equal(cached, TokenGenerator.Generate(model, prompts, options with { UseCache = false }));
        Assert.Equal(prompts.Select(p => TokenGenerator.Generate(model, [p], options)[0]), cached);
    }
}

/// <summary>Cached decoding against the full forward pass for a model of each family, past any sliding window.</summary>
public class FamilyGenerationTests
{
    [Theory]
    [InlineData("llama")]
    [InlineData("mistral")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    [InlineData("phi3")]
    [InlineData("gemma2")]
    [InlineData("gemma3_text")]
    public void CachedDecodingEqualsTheFullForward(string family)
    {
        // max positions 16: Mistral's and Gemma's windows are 8, so the 13 positions here run past them.
        var preset = ModelPresets.Tiny with { Family = family, HiddenSize = 32, IntermediateSize = 48, MaxPositionEmbeddings = 16, NumHiddenLayers = 2 };
        var config = preset.ToConfig(tokenizerVocabSize: 64, bosTokenId: 1, eosTokenId: 2, padTokenId: 0);
        Assert.True(family is "llama" or "qwen2" or "qwen3" or "phi3" || config.Window == 8);
        using var model = ModelFactory.CreateRandom(config with { InitializerRange = 0.2 }, seed: 8, torch.CPU, ScalarType.Float64);
        using var noGrad = torch.no_grad();
        using var ids = torch.tensor(new long[] { 5, 9, 13, 2, 40, 41, 7, 8, 30, 31, 12, 60, 3 }, [1, 13]);
        using var full = model.forward(ids); // [1, 13, V]
        using var cache = model.NewCache();
        var steps = new List<Tensor> { model.forward(ids[.., ..4], cache: cache) };
        for (var t = 4; t < 13; t++) steps.Add(model.forward(ids[.., t..(t + 1)], cache: cache));
        using var cached = torch.cat(steps, 1);
        Assert.True(cached.allclose(full, rtol: 0, atol: 1e-10), $"largest difference {(cached - full).abs().max().item<double>():g3}");
        foreach (var s in steps) s.Dispose();
    }
}
