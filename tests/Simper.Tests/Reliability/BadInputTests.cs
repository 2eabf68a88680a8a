using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Parquet.Schema;
using static Simper.Tests.Reliability.RunFixtures;

namespace Simper.Tests.Reliability;

/// <summary>
/// A corpus of bad inputs, each run through the real command line: exit code 2, exactly one stderr line naming the
/// file and line or field and what was expected, and not a byte written or changed anywhere under the test folder.
/// </summary>
public class BadInputTests
{
    private const string Good = "{\"prompt\": \"Q? \", \"chosen\": \"yes\", \"rejected\": \"no\"}";

    /// <summary>Runs <paramref name="args"/> and checks the one-line error and that nothing was written.</summary>
    private static string FailsCleanly(TempFolder temp, string[] args, params string[] fragments)
    {
        var before = FolderSnapshot.Take(temp.Path);
        var result = Support.Cli.Run(args);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal("", result.Stdout);
        var lines = result.Stderr.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length == 1, result.ToString());
        Assert.StartsWith("error: ", lines[0]);
        foreach (var fragment in fragments) Assert.Contains(fragment, lines[0]);
        before.AssertSame(FolderSnapshot.Take(temp.Path));
        return lines[0];
    }

    /// <summary>`simper train` of the tiny model on <paramref name="dataLines"/>, expected to fail before writing anything.</summary>
    private static void TrainFails(string[] dataLines, params string[] fragments)
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = temp.File("d.jsonl");
        File.WriteAllLines(data, dataLines);
        FailsCleanly(temp, Train(model, data, temp.File("run"), "--max-steps", "1"), [data, .. fragments]);
    }

    /// <summary>`simper train` with a model folder edited by <paramref name="corrupt"/>.</summary>
    private static void TrainWithModelFails(Action<string> corrupt, params string[] fragments)
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        corrupt(model);
        FailsCleanly(temp, Train(model, Pairs(temp.File("d.jsonl")), temp.File("run"), "--max-steps", "1"), fragments);
    }

    [Fact]
    public void MalformedJsonLine() =>
        TrainFails([Good, "{\"prompt\": \"Q\", \"chosen\": }"], ":2: malformed JSON at byte 27");

    [Fact]
    public void WrongFieldType() =>
        TrainFails([Good, "{\"prompt\": \"Q\", \"chosen\": 3, \"rejected\": \"no\"}"],
            ":2: field 'chosen': expected a string or a list of messages, found number");

    [Fact]
    public void MissingField() =>
        TrainFails([Good, "{\"prompt\": \"Q\", \"chosen\": \"yes\"}"],
            ":2: field 'rejected' is missing; the TRL preference (prompt, chosen, rejected) format needs it");

    [Fact]
    public void EmptyPrompt() =>
        TrainFails(["{\"prompt\": \"\", \"chosen\": \"yes\", \"rejected\": \"no\"}"], ":1: field 'prompt': empty string");

    [Fact]
    public void EmptyResponse() =>
        TrainFails([Good, Good, "{\"prompt\": \"Q\", \"chosen\": \"yes\", \"rejected\": \"\"}"], ":3: field 'rejected': empty string");

    [Fact]
    public void NonUtf8Bytes()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = temp.File("d.jsonl");
        File.WriteAllBytes(data, [.. System.Text.Encoding.UTF8.GetBytes(Good + "\n{\"prompt\": \"caf"), 0xE9, .. "\", \"chosen\": \"a\", \"rejected\": \"b\"}\n"u8]);
        FailsCleanly(temp, Train(model, data, temp.File("run")), data + ":2: invalid UTF-8 bytes at byte 16 (the file must be UTF-8)");
    }

    [Fact]
    public void HugeLineIsRefusedAtTheLimit()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = temp.File("d.jsonl");
        // A sparse file: one line of 64 MiB + 1 zero bytes after a good line costs no disk and little time to read.
        using (var file = File.Create(data))
        {
            file.Write(System.Text.Encoding.UTF8.GetBytes(Good + "\n"));
            file.SetLength(file.Length + 64 * 1024 * 1024 + 1);
        }
        FailsCleanly(temp, Train(model, data, temp.File("run")), data + ":2: line is longer than 64 MiB");
    }

    [Fact]
    public void EmptyFile() => TrainFails([], ": the file holds no rows");

    [Fact]
    public void ParquetWithOtherColumns()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var schema = new ParquetSchema(new DataField<string>("question"), new DataField<string>("answer"));
        var data = Simper.Tests.Data.DataFilesForTests.WriteParquet(temp.File("d.parquet"), schema,
            [new Dictionary<string, object?> { ["question"] = "Q", ["answer"] = "A" }]);
        FailsCleanly(temp, Train(model, data, temp.File("run")), data, "question", "answer", "prompt=question");
    }

    [Fact]
    public void PreTokenizedIdBeyondTheModelVocabulary() =>
        TrainFails(["{\"prompt_input_ids\": [1, 2, 3], \"chosen_input_ids\": [4, 5000], \"rejected_input_ids\": [6, 7]}"],
            ":1: token id 5000 is outside the model's vocabulary; expected ids from 0 to 260 (config.json vocab_size 261)");

    [Fact]
    public void UnknownMethod()
    {
        using var temp = new TempFolder();
        FailsCleanly(temp, Train(temp.File("model"), temp.File("d.jsonl"), temp.File("run"), "--method", "ppo"),
            "--method", "'ppo'", "expected one of simper, dpo");
    }

    [Fact]
    public void UnknownOptionValue()
    {
        using var temp = new TempFolder();
        FailsCleanly(temp, Train(temp.File("model"), temp.File("d.jsonl"), temp.File("run"), "--lr-scheduler", "foo"),
            "--lr-scheduler: 'foo' is not valid for lr-scheduler; expected one of", "cosine");
    }

    [Fact]
    public void ModelFolderWithoutConfig() =>
        TrainWithModelFails(model => File.Delete(Path.Combine(model, "config.json")), "config.json");

    [Fact]
    public void ConfigThatDoesNotFitTheWeights() =>
        TrainWithModelFails(model => EditJson(Path.Combine(model, "config.json"), c => c["hidden_size"] = 96),
            "model.safetensors: tensor \"model.embed_tokens.weight\" has shape [261, 64]; config.json implies [261, 96]");

    [Fact]
    public void TruncatedSafetensors() =>
        TrainWithModelFails(model =>
        {
            var bytes = File.ReadAllBytes(Weights(model));
            File.WriteAllBytes(Weights(model), bytes[..(bytes.Length / 2)]);
        }, "model.safetensors: tensor", "lie beyond the", "truncated?");

    [Fact]
    public void HeaderSizeBeyondTheFile() =>
        TrainWithModelFails(model =>
        {
            var bytes = File.ReadAllBytes(Weights(model));
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1_000_000);
            File.WriteAllBytes(Weights(model), bytes);
        }, "model.safetensors: header length 1000000 is beyond the file");

    [Fact]
    public void OffsetsBeyondTheFile() =>
        TrainWithModelFails(model => EditHeader(Weights(model), h => h["model.norm.weight"]!["data_offsets"] = new JsonArray(600000, 600256)),
            "tensor \"model.norm.weight\": data_offsets [600000, 600256] lie beyond the 503552 data bytes");

    [Fact]
    public void OverlappingTensors() =>
        TrainWithModelFails(model => EditHeader(Weights(model), h => h["model.norm.weight"]!["data_offsets"] = new JsonArray(436224, 436480)),
            "overlap tensor", "model.norm.weight", "model.layers.1.post_attention_layernorm.weight");

    [Fact]
    public void DtypeThatDoesNotFitTheShape() =>
        TrainWithModelFails(model => EditHeader(Weights(model), h => h["model.norm.weight"]!["dtype"] = "F16"),
            "tensor \"model.norm.weight\": data_offsets [436480, 436736] span 256 bytes but F16 [64] needs 128");

    [Fact]
    public void ShapeThatDoesNotFitTheModel() =>
        TrainWithModelFails(model => EditHeader(Weights(model), h => h["model.norm.weight"]!["shape"] = new JsonArray(8, 8)),
            "tensor \"model.norm.weight\" has shape [8, 8]; config.json implies [64]");

    [Fact]
    public void TokenizerLargerThanTheModelVocabulary() =>
        TrainWithModelFails(model => EditJson(Path.Combine(model, "tokenizer.json"), t =>
                t["added_tokens"]!.AsArray().Add(new JsonObject { ["id"] = 300, ["content"] = "<|tool|>", ["special"] = true })),
            "the tokenizer has 301 token ids but config.json vocab_size is 261");

    [Fact]
    public void ChatTemplateThatRaises()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        EditJson(Path.Combine(model, "tokenizer_config.json"),
            c => c["chat_template"] = "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{{ m.content }}{% endfor %}");
        var data = temp.File("d.jsonl");
        File.WriteAllLines(data,
        [
            "{\"prompt\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"chosen\": [{\"role\": \"assistant\", \"content\": \"a\"}], \"rejected\": [{\"role\": \"assistant\", \"content\": \"b\"}]}",
            "{\"prompt\": [{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"user\", \"content\": \"Hi\"}], \"chosen\": [{\"role\": \"assistant\", \"content\": \"a\"}], \"rejected\": [{\"role\": \"assistant\", \"content\": \"b\"}]}",
        ]);
        FailsCleanly(temp, Train(model, data, temp.File("run")), data + ":2: chat template failed: System role not supported");
    }

    [Fact]
    public void OutputUnderAFile()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        File.WriteAllText(temp.File("taken"), "a file, not a folder");
        // chmod does not stop root; a path under a regular file cannot be created by anyone.
        var output = Path.Combine(temp.File("taken"), "run");
        FailsCleanly(temp, Train(model, Pairs(temp.File("d.jsonl")), output, "--max-steps", "1"), "--output " + output, "not writable");
    }

    [Fact]
    public void OutputHoldingAnotherRunIsRefusedAndOverwriteReplacesIt()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = Pairs(temp.File("d.jsonl"));
        var output = temp.File("run");
        Directory.CreateDirectory(Path.Combine(output, "checkpoint-5"));
        File.WriteAllText(Path.Combine(output, "metrics.jsonl"), "{\"step\":5}\n");

        FailsCleanly(temp, Train(model, data, output, "--max-steps", "1"), "--output " + output, "already holds files of another run", "--overwrite");

        var replaced = Support.Cli.Run(Train(model, data, output, "--max-steps", "1", "--overwrite"));
        Assert.True(replaced.ExitCode == 0, replaced.ToString());
        Assert.False(Directory.Exists(Path.Combine(output, "checkpoint-5")));
        Assert.True(Directory.Exists(Path.Combine(output, "checkpoint-1")));
        Assert.Equal([1], Simper.Training.MetricsLog.Read(Path.Combine(output, "metrics.jsonl")).Select(r => r.Step));
    }

    [Fact]
    public void SkipBadRowsSkipsAndReportsTheCount()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = temp.File("d.jsonl");
        File.WriteAllLines(data, [Good, "{\"prompt\": \"Q\", \"chosen\": }", Good, "{\"prompt\": \"Q\", \"chosen\": 3, \"rejected\": \"no\"}", Good]);

        var result = Support.Cli.Run(Train(model, data, temp.File("run"), "--max-steps", "1", "--skip-bad-rows"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"skipped 2 bad rows; first: {data}:2: malformed JSON at byte 27", result.Stderr);
        Assert.Contains("training simper on 3 examples", result.Stderr);
    }

    [Fact]
    public void GenerateFromATruncatedModel()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var bytes = File.ReadAllBytes(Weights(model));
        File.WriteAllBytes(Weights(model), bytes[..4]);
        FailsCleanly(temp, ["generate", "--model", model, "--prompt", "Hi"],
            Weights(model) + ": not a safetensors file (4 bytes, shorter than the 8-byte header length)");
    }

    [Fact]
    public void EvalOnMissingData()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        FailsCleanly(temp, ["eval", "--model", model, "--data", temp.File("absent.jsonl")], temp.File("absent.jsonl"));
    }
}
