using Simper.Tokenization;
using Xunit.Abstractions;

namespace Simper.Tests.Export;

/// <summary>
/// stories260K quantized by llama.cpp's own code through `simper export`: q8_0 tensor by tensor with ggml_quantize_chunk,
/// q4_k_m by llama_model_quantize.
/// </summary>
public class QuantizedExportTests(ITestOutputHelper output)
{
    private static readonly Dictionary<uint, string> TypeNames = new()
    {
        [0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [6] = "Q5_0", [7] = "Q5_1", [8] = "Q8_0",
        [10] = "Q2_K", [11] = "Q3_K", [12] = "Q4_K", [13] = "Q5_K", [14] = "Q6_K", [30] = "BF16",
    };

    [SkippableFact]
    public void Q8AndQ4KMLoadGenerateAndKeepThePerplexityNearF32()
    {
        var stories = SharedData.Path("data", "stories260K");
        var text = File.ReadAllText(SharedData.Path("data", "text", "tinystories_sample.txt"));
        var tokenizer = ModelTokenizer.FromFolder(stories);
        var ids = tokenizer.Encode(text, addSpecialTokens: false).Prepend(tokenizer.BosTokenId!.Value).ToList();
        using var folder = new TempFolder();

        var perplexity = new Dictionary<string, double>();
        foreach (var type in new[] { "f32", "q8_0", "q4_k_m" })
        {
            var gguf = folder.File($"stories260K-{type}.gguf");
            var result = Support.Cli.Run("export", "--model", stories, "--output", gguf, "--type", type);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Single(Directory.GetFiles(folder.Path, $"stories260K-{type}*")); // no intermediate or partial file is left
            var file = GgufFile.Read(gguf);
            var types = file.TensorTypes.GroupBy(t => TypeNames.GetValueOrDefault(t.Value, t.Value.ToString()))
                .Select(g => $"{g.Key} x{g.Count()}");
            output.WriteLine($"{type}: tensor types {string.Join(", ", types)}");
            if (type == "q4_k_m") Assert.Contains(file.TensorTypes.Values, t => t is 6u or 8u or 12u or 14u);
            if (type == "q8_0")
            {
                // down_proj's rows of 172 values are not whole blocks of 32: F16, as convert_hf_to_gguf.py keeps them.
                Assert.Equal(1u, file.TensorTypes["blk.0.ffn_down.weight"]);
                Assert.Equal(1u, file.TensorTypes["blk.4.ffn_down.weight"]);
                Assert.Equal(8u, file.TensorTypes["token_embd.weight"]);
                Assert.Equal(8u, file.TensorTypes["blk.0.ffn_gate.weight"]);
                Assert.Equal(8u, file.TensorTypes["blk.0.attn_q.weight"]);
                Assert.Equal(0u, file.TensorTypes["blk.0.attn_norm.weight"]);
                Assert.Equal(7u, file.Metadata["general.file_type"]);
                Assert.Contains("kept in F16, their rows not a multiple of Q8_0's blocks of 32 values", result.Stderr);
                Assert.Contains("blk.0.ffn_down.weight", result.Stderr);
            }

            using var llama = new LlamaCpp(gguf);
            var generated = llama.Greedy([tokenizer.BosTokenId!.Value], 20);
            Assert.Equal(20, generated.Count);
            Assert.True(generated.Distinct().Count() > 5, $"{type} generates [{string.Join(' ', generated)}]");
            perplexity[type] = Perplexity(llama, ids, window: 512);
            output.WriteLine($"{type}: perplexity {perplexity[type]:F3} over {ids.Count - 1} tokens");
        }
        Assert.InRange(perplexity["f32"], 6.17, 6.21);
        Assert.InRange(perplexity["q8_0"] / perplexity["f32"], 0.995, 1.02);
        Assert.InRange(perplexity["q4_k_m"] / perplexity["f32"], 0.99, 1.25);
    }

    [Fact]
    public void Q8OfAModelWithRowsOfWholeBlocksLoadsAndContinuesAsF32()
    {
        using var folder = new TempFolder();
        var exports = ExportF32AndQ8(folder, intermediateSize: 192);
        Assert.Equal(0u, exports["f32"].File.TensorTypes["blk.0.ffn_down.weight"]);
        Assert.Equal(8u, exports["q8_0"].File.TensorTypes["blk.0.ffn_down.weight"]);
        // Q8_0 moves the logits by little; the first greedy tokens of this random model are far from ties.
        Assert.Equal(exports["f32"].Continuation, exports["q8_0"].Continuation);
    }

    [Fact]
    public void Q8KeepsRowsThatAreNotWholeBlocksInF16AndSaysWhich()
    {
        using var folder = new TempFolder();
        var exports = ExportF32AndQ8(folder, intermediateSize: 72);
        var (result, file, _) = exports["q8_0"];
        Assert.Equal(1u, file.TensorTypes["blk.0.ffn_down.weight"]); // rows of 72
        Assert.Equal(8u, file.TensorTypes["blk.0.ffn_up.weight"]);
        Assert.Equal(0u, file.TensorTypes["output_norm.weight"]);
        Assert.Equal(2u, file.Metadata["general.quantization_version"]);
        var notes = result.Stderr.Split('\n').Where(l => l.StartsWith("note: kept in F16")).ToList();
        Assert.Single(notes);
        Assert.Contains("blk.0.ffn_down.weight", notes[0]);
        Assert.DoesNotContain("ffn_up", notes[0]);
        Assert.Equal(exports["f32"].Continuation, exports["q8_0"].Continuation);
    }

    /// <summary>
    /// A random model with MLP rows of <paramref name="intermediateSize"/> exported as F32 and as Q8_0: each export's
    /// command result, file, and LLamaSharp's greedy continuation of a prompt for 5 tokens.
    /// </summary>
    private static Dictionary<string, (CliResult Result, GgufFile File, List<int> Continuation)> ExportF32AndQ8(TempFolder folder, int intermediateSize)
    {
        var model = ExportModels.Create(folder.File("model"), null, c => c with { IntermediateSize = intermediateSize, InitializerRange = 0.5 });
        var exports = new Dictionary<string, (CliResult, GgufFile, List<int>)>();
        foreach (var type in new[] { "f32", "q8_0" })
        {
            var gguf = folder.File($"{type}.gguf");
            var result = Support.Cli.Run("export", "--model", model, "--output", gguf, "--type", type);
            Assert.True(result.ExitCode == 0, result.ToString());
            using var llama = new LlamaCpp(gguf);
            exports[type] = (result, GgufFile.Read(gguf), llama.Greedy(ModelTokenizer.FromFolder(model).Encode("Once upon a time"), 5));
        }
        return exports;
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
