using System.IO.Compression;
using Simper.Checkpoints;
using Simper.Models;
using static TorchSharp.torch;

namespace Simper.Tests.Export;

/// <summary>
/// Llama 3's real tokenizer.json (a Split on its own regex before ByteLevel, ignore_merges) exported as the
/// <c>llama-bpe</c> pre-tokenizer: llama.cpp then encodes the 46 reference strings to the reference tokenizer's ids.
/// </summary>
public class Llama3VocabularyExportTests
{
    [SkippableFact]
    public void LlamaCppEncodesTheReferenceStringsToTheReferenceIds()
    {
        var vocab = SharedData.Path("data", "tokenizer-tests", "vocabs", "llama-bpe");
        using var folder = new TempFolder();
        var tokenizerDir = folder.File("tokenizer");
        Directory.CreateDirectory(tokenizerDir);
        using (var gz = new GZipStream(File.OpenRead(Path.Combine(vocab, "tokenizer.json.gz")), CompressionMode.Decompress))
        using (var target = File.Create(Path.Combine(tokenizerDir, "tokenizer.json")))
            gz.CopyTo(target);
        File.Copy(Path.Combine(vocab, "tokenizer_config.json"), Path.Combine(tokenizerDir, "tokenizer_config.json"));

        // The smallest model that carries the vocabulary: the weights do not matter to tokenization.
        var config = ModelPresets.Tiny.ToConfig(128256, 128000, 128001, null) with { HiddenSize = 16, NumAttentionHeads = 2, NumKeyValueHeads = 1, HeadDim = 8, IntermediateSize = 32, NumHiddenLayers = 1, TieWordEmbeddings = true };
        var model = folder.File("model");
        using (var network = ModelFactory.CreateRandom(config, seed: 1))
            PretrainedModel.Save(network, config, model, ScalarType.Float32, copyTokenizerFrom: tokenizerDir);
        var gguf = folder.File("model.gguf");
        var export = Support.Cli.Run("export", "--model", model, "--output", gguf);
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Equal("llama-bpe", GgufFile.Read(gguf).Metadata["tokenizer.ggml.pre"]);

        var inputs = TrainedModelExportTests.ReadInputs(Path.Combine(vocab, "inp"));
        var expected = File.ReadAllText(Path.Combine(vocab, "out")).Split('\n')[..^1]
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray()).ToList();
        Assert.Equal(46, inputs.Count);
        using var llama = new LlamaCpp(gguf, contextSize: 64);
        var failures = inputs.Select((text, i) => (text, i, ids: llama.Tokenize(text)))
            .Where(r => !r.ids.SequenceEqual(expected[r.i]))
            .Select(r => $"#{r.i}: llama.cpp [{string.Join(' ', r.ids)}], reference [{string.Join(' ', expected[r.i])}]").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
