using System.Text.Json.Nodes;
using Simper.Tests.CliCommands;

namespace Simper.Tests.Export;

/// <summary>The real stories260K checkpoint exported by `simper export` and run by llama.cpp through LLamaSharp.</summary>
public class Stories260KExportTests
{
    private static string Stories => SharedData.Path("data", "stories260K");

    private static List<int> ExpectedGreedy() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Stories, "expected-greedy.json")))!["generated_ids"]!.AsArray()
            .Select(n => (int)n!).ToList();

    [SkippableTheory]
    [InlineData("f32")]
    [InlineData("f16")]
    [InlineData("bf16")]
    public void LlamaCppGreedyDecodesThePublishedTokens(string type)
    {
        var stories = Stories;
        using var folder = new TempFolder();
        var gguf = folder.File($"stories260K-{type}.gguf");
        var result = Support.Cli.Run("export", "--model", stories, "--output", gguf, "--type", type);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stdout);

        var file = GgufFile.Read(gguf);
        Assert.Equal("llama", file.Metadata["general.architecture"]);
        Assert.Equal("llama", file.Metadata["tokenizer.ggml.model"]);
        Assert.Equal(512, ((string[])file.Metadata["tokenizer.ggml.tokens"]).Length);
        var (fileType, tensorType) = type switch { "f32" => (0u, 0u), "f16" => (1u, 1u), _ => (32u, 30u) };
        Assert.Equal(fileType, file.Metadata["general.file_type"]);
        Assert.Equal(tensorType, file.TensorTypes["blk.0.attn_q.weight"]);
        Assert.Equal(0u, file.TensorTypes["blk.0.attn_norm.weight"]); // norms stay F32, as in the converter
        Assert.DoesNotContain("output.weight", file.TensorTypes.Keys); // tied head: llama.cpp reuses token_embd

        using var llama = new LlamaCpp(gguf);
        Assert.Equal(ExpectedGreedy(), llama.Greedy([1], 200));
    }

    [SkippableFact]
    public void ABadTypeOrAnUnsupportedFamilyIsOneLineAndWritesNothing()
    {
        var stories = Stories;
        using var folder = new TempFolder();
        var gguf = folder.File("out.gguf");
        CliAssert.UserError(Support.Cli.Run("export", "--model", stories, "--output", gguf, "--type", "q3_k"), "--type: \"q3_k\" is not an export type", alone: true);
        Assert.False(File.Exists(gguf));

        var gemma = folder.File("gemma");
        Directory.CreateDirectory(gemma);
        File.WriteAllText(Path.Combine(gemma, "config.json"), """{"model_type": "gemma2", "hidden_size": 8}""");
        CliAssert.UserError(Support.Cli.Run("export", "--model", gemma, "--output", gguf), "model_type \"gemma2\" cannot be exported", alone: true);
        Assert.Empty(Directory.GetFiles(folder.Path));
    }
}
