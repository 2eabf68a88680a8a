using System.Text.Json;
using Simper.Tests.CliCommands;
using Simper.Tokenization;

namespace Simper.Tests.Export;

/// <summary>A LoRA run's adapter exported as GGUF: llama.cpp applying it to the base's GGUF runs the merged model.</summary>
public class LoraAdapterExportTests
{
    private const string Prompt = "Once upon a time";
    private const int Steps = 20;

    [Fact]
    public void TheAdapterAppliedToTheBaseContinuesAsTheMergedModel()
    {
        using var folder = new TempFolder();
        // Grouped-query attention, so k_proj's adapter rows are permuted with the key-value head count.
        var baseModel = ExportModels.Create(folder.File("base"), null, c => c with { InitializerRange = 0.5 });
        var data = folder.File("sft.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 8).Select(i => JsonSerializer.Serialize(new
            { prompt = "Once upon a time", completion = $" there were {i} dogs." })));
        var run = folder.File("run");
        var train = Support.Cli.Run(["sft", "--model", baseModel, "--data", data, "--output", run, "--max-steps", "3",
            "--batch-size", "4", "--gradient-accumulation-steps", "1", "--learning-rate", "0.05", "--max-length", "32",
            "--max-prompt-length", "16", "--save-steps", "0", "--threads", "2", "--lora-rank", "4", "--lora-dropout", "0",
            "--lora-target-modules", "all-linear", "--export-gguf", "f32"]);
        Assert.True(train.ExitCode == 0, train.ToString());
        var adapter = Path.Combine(run, "adapter.gguf");
        Assert.True(File.Exists(adapter), train.ToString());
        var baseGguf = folder.File("base.gguf");
        var export = Support.Cli.Run("export", "--model", baseModel, "--output", baseGguf, "--type", "f32");
        Assert.True(export.ExitCode == 0, export.ToString());

        // `simper export --adapter` writes the same file from the run's PEFT folder.
        var fromCli = folder.File("adapter.gguf");
        var exportAdapter = Support.Cli.Run("export", "--model", baseModel, "--adapter", Path.Combine(run, "adapter"), "--output", fromCli);
        Assert.True(exportAdapter.ExitCode == 0, exportAdapter.ToString());
        Assert.Equal(File.ReadAllBytes(adapter), File.ReadAllBytes(fromCli));
        CliAssert.UserError(Support.Cli.Run("export", "--model", baseModel, "--adapter", Path.Combine(run, "adapter"), "--output",
            folder.File("q.gguf"), "--type", "q8_0"), "a LoRA adapter is written as f32", alone: true);

        var file = GgufFile.Read(adapter);
        Assert.Equal("adapter", file.Metadata["general.type"]);
        Assert.Equal("lora", file.Metadata["adapter.type"]);
        Assert.Equal(32f, file.Metadata["adapter.lora.alpha"]);
        Assert.Equal([64ul, 4ul], file.TensorDims["blk.0.attn_k.weight.lora_a"]); // ggml order: [in, r]
        Assert.Equal([4ul, 32ul], file.TensorDims["blk.0.attn_k.weight.lora_b"]); // [r, out]: 2 key-value heads of 16

        var prompt = ModelTokenizer.FromFolder(run).Encode(Prompt);
        var (merged, minGap) = SimperGreedy.Run(run, prompt, Steps);
        Assert.True(minGap > 1e-3, $"top-two logit gap {minGap} at some step; the comparison would not be meaningful");
        var (unadapted, _) = SimperGreedy.Run(baseModel, prompt, Steps);
        Assert.NotEqual(unadapted, merged); // the adapter changes the continuation, so applying it is tested
        using var llama = new LlamaCpp(baseGguf, loraPath: adapter);
        Assert.Equal(merged, llama.Greedy(prompt, Steps));
    }
}
