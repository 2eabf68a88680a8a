using Simper.Tests.CliCommands;
using Simper.Tokenization;
using Xunit.Abstractions;

namespace Simper.Tests.Export;

/// <summary>stories260K quantized by llama.cpp's own quantizer (through `simper export --type q8_0|q4_k_m`).</summary>
public class QuantizedExportTests(ITestOutputHelper output)
{
    private static readonly Dictionary<uint, string> TypeNames = new()
    {
        [0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [6] = "Q5_0", [7] = "Q5_1", [8] = "Q8_0",
        [10] = "Q2_K", [11] = "Q3_K", [12] = "Q4_K", [13] = "Q5_K", [14] = "Q6_K", [30] = "BF16",
    };

    [SkippableFact]
    public void Q4KMLoadsGeneratesAndKeepsThePerplexityNearF32AndQ8IsRefusedForItsRowsOf172()
    {
        var stories = SharedData.Path("data", "stories260K");
        var text = File.ReadAllText(SharedData.Path("data", "text", "tinystories_sample.txt"));
        var tokenizer = ModelTokenizer.FromFolder(stories);
        var ids = tokenizer.Encode(text, addSpecialTokens: false).Prepend(tokenizer.BosTokenId!.Value).ToList();
        using var folder = new TempFolder();

        var perplexity = new Dictionary<string, double>();
        // llama.cpp's q8_0 has no fallback for the 172-wide rows of down_proj: refused before anything is written.
        CliAssert.UserError(Support.Cli.Run("export", "--model", stories, "--output", folder.File("q8.gguf"), "--type", "q8_0"),
            "\"model.layers.0.mlp.down_proj.weight\" has rows of 172 values; llama.cpp's q8_0 needs a multiple of 32", alone: true);
        Assert.Empty(Directory.GetFiles(folder.Path));

        foreach (var type in new[] { "f32", "q4_k_m" })
        {
            var gguf = folder.File($"stories260K-{type}.gguf");
            var result = Support.Cli.Run("export", "--model", stories, "--output", gguf, "--type", type);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Single(Directory.GetFiles(folder.Path, $"stories260K-{type}*")); // the F32 intermediate is gone
            var file = GgufFile.Read(gguf);
            var types = file.TensorTypes.GroupBy(t => TypeNames.GetValueOrDefault(t.Value, t.Value.ToString()))
                .Select(g => $"{g.Key} x{g.Count()}");
            output.WriteLine($"{type}: tensor types {string.Join(", ", types)}");
            if (type == "q4_k_m") Assert.Contains(file.TensorTypes.Values, t => t is 6u or 8u or 12u or 14u);

            using var llama = new LlamaCpp(gguf);
            var generated = llama.Greedy([tokenizer.BosTokenId!.Value], 20);
            Assert.Equal(20, generated.Count);
            Assert.True(generated.Distinct().Count() > 5, $"{type} generates [{string.Join(' ', generated)}]");
            perplexity[type] = Perplexity(llama, ids, window: 512);
            output.WriteLine($"{type}: perplexity {perplexity[type]:F3} over {ids.Count - 1} tokens");
        }
        Assert.InRange(perplexity["f32"], 6.17, 6.21);
        Assert.InRange(perplexity["q4_k_m"] / perplexity["f32"], 0.99, 1.25);
    }

    [Fact]
    public void Q8OfAModelWithRowsOfWholeBlocksLoadsAndContinuesAsF32()
    {
        using var folder = new TempFolder();
        var model = ExportModels.Create(folder.File("model"), null, c => c with { IntermediateSize = 192, InitializerRange = 0.5 });
        var continuations = new Dictionary<string, List<int>>();
        foreach (var type in new[] { "f32", "q8_0" })
        {
            var gguf = folder.File($"{type}.gguf");
            var result = Support.Cli.Run("export", "--model", model, "--output", gguf, "--type", type);
            Assert.True(result.ExitCode == 0, result.ToString());
            var file = GgufFile.Read(gguf);
            Assert.Equal(type == "f32" ? 0u : 8u, file.TensorTypes["blk.0.ffn_down.weight"]);
            using var llama = new LlamaCpp(gguf);
            continuations[type] = llama.Greedy(ModelTokenizer.FromFolder(model).Encode("Once upon a time"), 5);
        }
        // Q8_0 moves the logits by little; the first greedy tokens of this random model are far from ties.
        Assert.Equal(continuations["f32"], continuations["q8_0"]);
    }

    /// <summary>Disjoint windows, each token after a window's first scored once: the arithmetic of `simper perplexity`.</summary>
    private static double Perplexity(LlamaCpp llama, List<int> ids, int window)
    {
        double nll = 0;
        long tokens = 0;
        for (int begin = 0; begin + 1 < ids.Count; begin += window)
        {
            var part = ids.GetRange(begin, Math.Min(window, ids.Count - begin));
            nll += llama.Nll(part);
            tokens += part.Count - 1;
        }
        return Math.Exp(nll / tokens);
    }
}
