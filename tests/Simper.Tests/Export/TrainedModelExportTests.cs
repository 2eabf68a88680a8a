using System.Text.Json;
using Simper.Tokenization;

namespace Simper.Tests.Export;

/// <summary>
/// Small Llamas with real vocabularies (GPT-2's byte-level BPE, Llama 2's SentencePiece), trained a few steps by
/// `simper sft --export-gguf f32`: llama.cpp runs the written model.gguf as Simper runs the folder.
/// </summary>
public class TrainedModelExportTests
{
    private const string Prompt = "Once upon a time, a little";
    private const int Steps = 30;

    public static IEnumerable<object[]> Vocabularies =>
    [
        ["gpt-2", new[] { "gpt2/vocab.json", "gpt2/merges.txt" }],
        ["llama-spm", new[] { "llama2/tokenizer.model" }],
    ];

    [SkippableTheory]
    [MemberData(nameof(Vocabularies))]
    public void LlamaCppContinuesAndTokenizesAsSimper(string suite, string[] tokenizerFiles)
    {
        var sources = tokenizerFiles.Select(f => SharedData.Path("data", "tokenizers", f)).ToList();
        using var folder = new TempFolder();
        // A wider initialisation than transformers' 0.02 spreads the logits, so greedy steps are not near-ties.
        var baseModel = ExportModels.Create(folder.File("base"), sources, c => c with { InitializerRange = 0.5 });
        var run = folder.File("run");
        var data = folder.File("sft.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 8).Select(i => JsonSerializer.Serialize(new
            { prompt = "Once upon a time,", completion = $" a little cat saw {i} birds in the garden." })));
        var train = Support.Cli.Run(["sft", "--model", baseModel, "--data", data, "--output", run, "--max-steps", "2",
            "--batch-size", "4", "--gradient-accumulation-steps", "1", "--learning-rate", "0.01", "--max-length", "32", "--max-prompt-length", "16",
            "--save-steps", "0", "--threads", "2", "--export-gguf", "f32"]);
        Assert.True(train.ExitCode == 0, train.ToString());
        var gguf = Path.Combine(run, "model.gguf");
        Assert.True(File.Exists(gguf), train.ToString());

        var tokenizer = ModelTokenizer.FromFolder(run);
        var prompt = tokenizer.Encode(Prompt);
        var (expected, minGap) = SimperGreedy.Run(run, prompt, Steps);
        Assert.True(minGap > 1e-3, $"top-two logit gap {minGap} at some step; the comparison would not be meaningful");
        using var llama = new LlamaCpp(gguf);
        Assert.Equal(expected, llama.Greedy(prompt, Steps));

        var generate = Support.Cli.Run("generate", "--model", run, "--prompt", Prompt, "--greedy", "--max-new-tokens", Steps.ToString());
        Assert.True(generate.ExitCode == 0, generate.ToString());
        var untilEos = expected.TakeWhile(id => id != tokenizer.EosTokenId).ToList();
        Assert.Equal(tokenizer.Decode(untilEos, skipSpecialTokens: true), generate.Stdout.TrimEnd('\n'));

        var failures = new List<string>();
        foreach (var text in ReadInputs(SharedData.Path("data", "tokenizer-tests", suite + ".inp")))
        {
            var simper = tokenizer.Encode(text, addSpecialTokens: false);
            var cpp = llama.Tokenize(text);
            if (!simper.SequenceEqual(cpp)) failures.Add($"{JsonSerializer.Serialize(text)}: simper [{string.Join(' ', simper)}], llama.cpp [{string.Join(' ', cpp)}]");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    internal static List<string> ReadInputs(string path)
    {
        const string separator = "\n__ggml_vocab_test__\n";
        var all = File.ReadAllText(path);
        var inputs = new List<string>();
        for (int pos = 0, next; (next = all.IndexOf(separator, pos, StringComparison.Ordinal)) >= 0; pos = next + separator.Length)
            inputs.Add(all[pos..next]);
        return inputs;
    }
}
