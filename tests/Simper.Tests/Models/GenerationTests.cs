using System.Text.Json;
using Simper.Checkpoints;
using Simper.Generation;
using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Models;

public class GenerationTests
{
    private static LlamaForCausalLM Stories() =>
        PretrainedModel.Load(SharedData.Path("data", "stories260K"), ScalarType.Float32, torch.CPU).Model;

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Stories260KGreedyFromBosMatchesPublishedOutput(bool useCache)
    {
        using var model = Stories();
        using var json = JsonDocument.Parse(File.ReadAllText(SharedData.Path("data", "stories260K", "expected-greedy.json")));
        var prompt = json.RootElement.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var expected = json.RootElement.GetProperty("generated_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var steps = json.RootElement.GetProperty("max_new_tokens").GetInt32();
        Assert.Equal([1], prompt);
        Assert.Equal(200, expected.Length);

        var generated = TokenGenerator.Generate(model, [prompt], new GenerationOptions { MaxNewTokens = steps, UseCache = useCache });
        Assert.Equal(expected, generated[0]);
    }

    [SkippableFact]
    public void BatchedPromptsOfDifferentLengthsDecodeAsTheyWouldAlone()
    {
        using var model = Stories();
        int[][] prompts = [[1, 403, 407, 261, 378], [1], [1, 403, 407], [1, 300, 301, 302, 303, 304, 305]];
        var options = new GenerationOptions { MaxNewTokens = 40 };
        var alone = prompts.Select(p => TokenGenerator.Generate(model, [p], options)[0]).ToList();
        Assert.Equal(alone, TokenGenerator.Generate(model, prompts, options));
        Assert.Equal(alone, TokenGenerator.Generate(model, prompts, options with { UseCache = false }));
        Assert.All(alone, a => Assert.Equal(40, a.Length));
    }

    [Fact]
    public void StopsAtEosIncludingItAndRespectsMaxPositions()
    {
        var config = TestModels.Qwen2Tiny();
        using var model = ModelFactory.CreateRandom(config, seed: 11);
        var free = TokenGenerator.Generate(model, [[1, 2, 3]], new GenerationOptions { MaxNewTokens = 10, EosTokenIds = [] })[0];
        Assert.Equal(10, free.Length);
        // Declaring the third generated token an EOS ends the sequence right there, EOS included.
        var stopped = TokenGenerator.Generate(model, [[1, 2, 3]], new GenerationOptions { MaxNewTokens = 10, EosTokenIds = [free[2]] })[0];
        Assert.Equal(free[..(Array.IndexOf(free, free[2]) + 1)], stopped);
        // max_position_embeddings is 64: a 60-token prompt leaves room for 4 tokens.
        var longPrompt = Enumerable.Range(0, 60).Select(i => i % 50).ToArray();
        Assert.Equal(4, TokenGenerator.Generate(model, [longPrompt], new GenerationOptions { MaxNewTokens = 10, EosTokenIds = [] })[0].Length);
    }

    [SkippableFact]
    public void SamplingIsSeededAndFiltersReduceToGreedy()
    {
        using var model = Stories();
        int[][] prompts = [[1], [1, 403]];
        var greedy = TokenGenerator.Generate(model, prompts, new GenerationOptions { MaxNewTokens = 30 });
        var sample = new GenerationOptions { MaxNewTokens = 30, DoSample = true, Temperature = 1.0, Seed = 42 };
        var first = TokenGenerator.Generate(model, prompts, sample);
        Assert.Equal(first, TokenGenerator.Generate(model, prompts, sample));
        Assert.NotEqual(first, TokenGenerator.Generate(model, prompts, sample with { Seed = 43 }));
        // top_k = 1 leaves only the argmax; a tiny top_p keeps only the most likely token as well.
        Assert.Equal(greedy, TokenGenerator.Generate(model, prompts, sample with { TopK = 1 }));
        Assert.Equal(greedy, TokenGenerator.Generate(model, prompts, sample with { TopP = 1e-6 }));
    }
}
