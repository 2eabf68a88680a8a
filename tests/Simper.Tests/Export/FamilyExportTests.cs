using System.Text.Json.Nodes;
using Simper.Models;
using Simper.Tests.CliCommands;
using Simper.Tokenization;

namespace Simper.Tests.Export;

/// <summary>Qwen2 (q/k/v biases, tied head, NeoX rotation) and Mistral exports run in llama.cpp as in Simper.</summary>
public class FamilyExportTests
{
    private const string Prompt = "The quick brown fox";
    private const int Steps = 30;

    public static IEnumerable<object[]> Families =>
    [
        ["qwen2", "qwen2", "Qwen2ForCausalLM", true],
        ["mistral", "llama", "MistralForCausalLM", false],
    ];

    [Theory]
    [MemberData(nameof(Families))]
    public void LlamaCppContinuesAsSimper(string family, string ggufArchitecture, string architecture, bool tied)
    {
        using var folder = new TempFolder();
        var model = ExportModels.Create(folder.File(family), null,
            c => c with { ModelType = family, Architecture = architecture, TieWordEmbeddings = tied, InitializerRange = 0.5 });
        var gguf = folder.File($"{family}.gguf");
        var export = Support.Cli.Run("export", "--model", model, "--output", gguf, "--type", "f32");
        Assert.True(export.ExitCode == 0, export.ToString());

        var file = GgufFile.Read(gguf);
        Assert.Equal(ggufArchitecture, file.Metadata["general.architecture"]);
        Assert.Equal("gpt-2", file.Metadata["tokenizer.ggml.pre"]);
        Assert.Equal(ByteLevelTokenizerFiles.ChatTemplate, file.Metadata["tokenizer.chat_template"]);
        Assert.Equal(tied, !file.TensorTypes.ContainsKey("output.weight"));
        Assert.Equal(family == "qwen2", file.TensorTypes.ContainsKey("blk.0.attn_q.bias"));

        var prompt = ModelTokenizer.FromFolder(model).Encode(Prompt);
        var (expected, minGap) = SimperGreedy.Run(model, prompt, Steps);
        Assert.True(minGap > 1e-3, $"top-two logit gap {minGap} at some step; the comparison would not be meaningful");
        using var llama = new LlamaCpp(gguf);
        Assert.Equal(expected, llama.Greedy(prompt, Steps));
    }

    [Fact]
    public void APreTokenizerLlamaCppDoesNotKnowIsRefusedNotWrittenAsDefault()
    {
        using var folder = new TempFolder();
        var model = ExportModels.Create(folder.File("model"), null);
        var tokenizerJson = Path.Combine(model, "tokenizer.json");
        var root = JsonNode.Parse(File.ReadAllText(tokenizerJson))!;
        root["pre_tokenizer"] = new JsonObject { ["type"] = "Whitespace" };
        File.WriteAllText(tokenizerJson, root.ToJsonString());
        var gguf = folder.File("model.gguf");

        CliAssert.UserError(Support.Cli.Run("export", "--model", model, "--output", gguf), "pre_tokenizer {\"type\":\"Whitespace\"} is not one llama.cpp knows", alone: true);
        Assert.False(File.Exists(gguf));
        Assert.Empty(Directory.GetFiles(folder.Path, "*.partial"));
    }
}
