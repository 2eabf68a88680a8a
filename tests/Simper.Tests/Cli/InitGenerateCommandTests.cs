using System.Text.Json;
using Simper.Checkpoints;
using Simper.Generation;
using Simper.Models;
using Simper.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.CliCommands;

public class InitGenerateCommandTests
{
    private static string InitTiny(TempFolder folder, string name = "model")
    {
        var dir = folder.File(name);
        var result = Support.Cli.Run("init", "--output", dir, "--seed", "7");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stdout);
        return dir;
    }

    [Fact]
    public void InitWritesAHuggingFaceFolderWhoseSpecialIdsComeFromTheTokenizer()
    {
        using var folder = new TempFolder();
        var dir = InitTiny(folder);

        Assert.True(File.Exists(Path.Combine(dir, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(dir, "tokenizer.json")));
        var config = ModelConfig.Load(Path.Combine(dir, "config.json"));
        // 256 byte tokens, then <|endoftext|> (BOS and EOS), <|pad|> and three chat role markers.
        Assert.Equal(261, config.VocabSize);
        Assert.Equal(256, config.BosTokenId);
        Assert.Equal([256], config.EosTokenIds);
        Assert.Equal(257, config.PadTokenId);
        Assert.Equal((64, 2, 4, 2, 176, 512, false),
            (config.HiddenSize, config.NumHiddenLayers, config.NumAttentionHeads, config.NumKeyValueHeads,
             config.IntermediateSize, config.MaxPositionEmbeddings, config.TieWordEmbeddings));
    }

    [Fact]
    public void InitRefusesANonEmptyFolderUnlessOverwrite()
    {
        using var folder = new TempFolder();
        var dir = InitTiny(folder);

        CliAssert.UserError(Support.Cli.Run("init", "--output", dir), "folder is not empty", alone: true);
        var replaced = Support.Cli.Run("init", "--output", dir, "--overwrite", "--layers", "1", "--tie-word-embeddings");
        Assert.True(replaced.ExitCode == 0, replaced.ToString());
        var config = ModelConfig.Load(Path.Combine(dir, "config.json"));
        Assert.Equal((1, true), (config.NumHiddenLayers, config.TieWordEmbeddings));
    }

    [Fact]
    public void Bench26mPresetHasTheStatedShapeAndParameterCount()
    {
        var config = ModelPresets.Find("bench-26m").ToConfig(261, 256, 256, 257);
        using var model = new LlamaForCausalLM(config, torch.CPU);
        // Per layer: q 512x512, k and v 512x256 (4 KV heads of 64), o 512x512, three MLP matrices 512x1376, two norms.
        long layer = 512 * 512 + 2 * 512 * 256 + 512 * 512 + 3 * 512 * 1376 + 2 * 512;
        long expected = 6 * layer + 2 * 8192 * 512 + 512; // layers, untied embedding and head, final norm
        Assert.Equal(25_795_072, expected);
        Assert.Equal(expected, model.parameters().Sum(p => p.numel()));
        Assert.Equal(8192, config.VocabSize);
    }

    [Fact]
    public void GreedyPromptPrintsOnlyTheCompletionAndRepeatsExactly()
    {
        using var folder = new TempFolder();
        var dir = InitTiny(folder);
        string[] args = ["generate", "--model", dir, "--prompt", "Hello", "--greedy", "--max-new-tokens", "12"];

        var first = Support.Cli.Run(args);
        var second = Support.Cli.Run(args);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(first.Stdout, second.Stdout);
        // The same decoding done in-process: BOS + the prompt's bytes, 12 greedy tokens, special tokens dropped.
        var text = ModelText.Load(dir);
        using var model = PretrainedModel.Load(dir, ScalarType.Float32, torch.CPU).Model;
        int[] prompt = [256, .. "Hello"u8.ToArray().Select(b => (int)b)];
        var tokens = TokenGenerator.Generate(model, [prompt], new GenerationOptions { MaxNewTokens = 12 })[0];
        Assert.Equal(text.Tokenizer.Decode(tokens, skipSpecialTokens: true) + "\n", first.Stdout);
        Assert.DoesNotContain("generated", first.Stdout);
        Assert.Contains("generated: 1/1", first.Stderr);
    }

    [Fact]
    public void TemperatureZeroDecodesGreedilyAndANegativeOneIsAUserError()
    {
        using var folder = new TempFolder();
        var dir = InitTiny(folder);
        string[] Args(params string[] decoding) =>
            ["generate", "--model", dir, "--prompt", "Hello", "--num-samples", "3", "--max-new-tokens", "16", "--seed", "3", .. decoding];

        var greedy = Support.Cli.Run(Args("--greedy"));
        var zero = Support.Cli.Run(Args("--temperature", "0"));
        var sampled = Support.Cli.Run(Args("--temperature", "1"));

        Assert.True(greedy.ExitCode == 0, greedy.ToString());
        Assert.True(zero.ExitCode == 0, zero.ToString());
        Assert.Equal(greedy.Stdout, zero.Stdout);
        Assert.True(sampled.ExitCode == 0, sampled.ToString());
        Assert.NotEqual(greedy.Stdout, sampled.Stdout); // sampling at temperature 1 is not greedy, so the check can tell

        // The dataset path reads the option the same way.
        var prompts = folder.File("prompts.jsonl");
        File.WriteAllLines(prompts, ["{\"prompt\": \"Once\"}", "{\"prompt\": \"Hi\"}"]);
        string[] DataArgs(string output, params string[] decoding) =>
            ["generate", "--model", dir, "--data", prompts, "--output", output, "--max-new-tokens", "8", "--seed", "3", .. decoding];
        var greedyRows = Support.Cli.Run(DataArgs(folder.File("greedy.jsonl"), "--greedy"));
        var zeroRows = Support.Cli.Run(DataArgs(folder.File("zero.jsonl"), "--temperature", "0"));
        Assert.True(greedyRows.ExitCode == 0 && zeroRows.ExitCode == 0, greedyRows + "\n" + zeroRows);
        Assert.Equal(File.ReadAllText(folder.File("greedy.jsonl")), File.ReadAllText(folder.File("zero.jsonl")));

        CliAssert.UserError(Support.Cli.Run(Args("--temperature", "-0.5")), "--temperature -0.5: expected a number >= 0");
    }

    [Fact]
    public void DataWritesOneRowPerSampleKeepingTheInputFields()
    {
        using var folder = new TempFolder();
        var dir = InitTiny(folder);
        var prompts = folder.File("prompts.jsonl");
        File.WriteAllLines(prompts,
        [
            "{\"id\": 7, \"prompt\": \"Once\"}",
            "{\"id\": 8, \"prompt\": [{\"role\": \"user\", \"content\": \"Hi\"}]}",
        ]);
        string[] Args(string output) => ["generate", "--model", dir, "--data", prompts, "--output", output,
            "--num-samples", "3", "--max-new-tokens", "8", "--batch-size", "4", "--seed", "5"];

        var run = Support.Cli.Run(Args(folder.File("a.jsonl")));
        var again = Support.Cli.Run(Args(folder.File("b.jsonl")));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Stdout);
        var rows = File.ReadAllLines(folder.File("a.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([7, 7, 7, 8, 8, 8], rows.Select(r => r.GetProperty("id").GetInt32()));
        Assert.Equal([0, 1, 2, 0, 1, 2], rows.Select(r => r.GetProperty("sample").GetInt32()));
        Assert.All(rows[..3], r => Assert.Equal("Once", r.GetProperty("prompt").GetString()));
        Assert.All(rows[3..], r => Assert.Equal("Hi", r.GetProperty("prompt")[0].GetProperty("content").GetString()));
        Assert.All(rows, r => Assert.Equal(JsonValueKind.String, r.GetProperty("completion").ValueKind));
        // Seeded sampling: the same command gives the same file.
        Assert.Equal(File.ReadAllText(folder.File("a.jsonl")), File.ReadAllText(folder.File("b.jsonl")));
    }

    [SkippableFact]
    public void Stories260KGreedyFromBosPrintsThePublishedText()
    {
        var dir = SharedData.Path("data", "stories260K");
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "expected-greedy.json")));
        // The published text is decoded from the 200 tokens after BOS; an empty prompt is BOS alone.
        Assert.Equal([1], expected.RootElement.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()));

        var result = Support.Cli.Run("generate", "--model", dir, "--prompt", "", "--greedy", "--max-new-tokens", "200");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(expected.RootElement.GetProperty("text").GetString() + "\n", result.Stdout);
    }

    [Fact]
    public void PromptAndDataTogetherIsAUserError()
    {
        var result = Support.Cli.Run("generate", "--model", "unused", "--prompt", "x", "--data", "y.jsonl");

        CliAssert.UserError(result, "give either --prompt TEXT or --data FILE", alone: true);
    }

    [Fact]
    public void AMissingModelFolderIsAUserError()
    {
        using var folder = new TempFolder();
        var missing = folder.File("nothing-here");

        CliAssert.UserError(Support.Cli.Run("generate", "--model", missing, "--prompt", "x"), missing, alone: true);
    }
}
