using System.IO.Compression;
using System.Text.Json.Nodes;
using Simper.Checkpoints;
using Simper.Models;
using static TorchSharp.torch;

namespace Simper.Tests.Export;

/// <summary>
/// Real byte-level BPE vocabularies (../shared/data/tokenizer-tests/vocabs) exported with the <c>tokenizer.ggml.pre</c>
/// type their pre-tokenizer pipeline names: llama.cpp then encodes the 46 reference strings to the ids of the
/// vocabulary's own Hugging Face tokenizer. Llama 3 (a Split on its regex before ByteLevel, ignore_merges), Falcon
/// (Punctuation, ByteLevel, Digits and a three-digit Split), DeepSeek LLM (six Splits) and StarCoder (Digits).
/// </summary>
public class RealVocabularyExportTests
{
    [SkippableTheory]
    [InlineData("llama-bpe")]
    [InlineData("falcon")]
    [InlineData("deepseek-llm")]
    [InlineData("starcoder")]
    public void LlamaCppEncodesTheReferenceStringsToTheReferenceIds(string name)
    {
        var vocab = SharedData.Path("data", "tokenizer-tests", "vocabs", name);
        using var folder = new TempFolder();
        var tokenizerDir = folder.File("tokenizer");
        Directory.CreateDirectory(tokenizerDir);
        using (var gz = new GZipStream(File.OpenRead(Path.Combine(vocab, "tokenizer.json.gz")), CompressionMode.Decompress))
        using (var target = File.Create(Path.Combine(tokenizerDir, "tokenizer.json")))
            gz.CopyTo(target);
        File.Copy(Path.Combine(vocab, "tokenizer_config.json"), Path.Combine(tokenizerDir, "tokenizer_config.json"));
        var real = JsonNode.Parse(File.ReadAllText(Path.Combine(vocab, "model.json")))!;

        // The smallest model that carries the vocabulary: the weights do not matter to tokenization.
        var config = ModelPresets.Tiny.ToConfig((int)real["vocab_size"]!, (int)real["bos_token_id"]!, (int)real["eos_token_id"]!, null)
            with { HiddenSize = 16, NumAttentionHeads = 2, NumKeyValueHeads = 1, HeadDim = 8, IntermediateSize = 32, NumHiddenLayers = 1, TieWordEmbeddings = true };
        var model = folder.File("model");
        using (var network = ModelFactory.CreateRandom(config, seed: 1))
            PretrainedModel.Save(network, config, model, ScalarType.Float32, copyTokenizerFrom: tokenizerDir);
        var gguf = folder.File("model.gguf");
        var export = Support.Cli.Run("export", "--model", model, "--output", gguf);
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Equal(name, GgufFile.Read(gguf).Metadata["tokenizer.ggml.pre"]);

        var inputs = VocabularyTestFiles.ReadInputs(Path.Combine(vocab, "inp"));
        var expected = File.ReadAllText(Path.Combine(vocab, "out")).Split('\n')[..^1]
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray()).ToList();
        Assert.Equal(46, inputs.Count);
        using var llama = new LlamaCpp(gguf, contextSize: 64);
        var failures = inputs.Select((text, i) => (text, i, ids: llama.Tokenize(text)))
            .Where(r => !r.ids.SequenceEqual(expected[r.i]))
            .Select(r => $"#{r.i} {System.Text.Json.JsonSerializer.Serialize(r.text)}: llama.cpp [{string.Join(' ', r.ids)}], reference [{string.Join(' ', expected[r.i])}]").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Strings on which the pre-tokenizer types part ways (digit runs, newline runs, letters beside CJK, trailing
        // space), checked against Simper's own tokenizer.json pipeline, which gives the reference ids on the 46 above.
        var tokenizer = Simper.Tokenization.ModelTokenizer.FromFolder(model);
        var apart = Distinguishing.Select(text => (text, ids: llama.Tokenize(text), reference: tokenizer.Encode(text, addSpecialTokens: false)))
            .Where(r => !r.ids.SequenceEqual(r.reference))
            .Select(r => $"{System.Text.Json.JsonSerializer.Serialize(r.text)}: llama.cpp [{string.Join(' ', r.ids)}], tokenizer.json [{string.Join(' ', r.reference)}]").ToList();
        Assert.True(apart.Count == 0, string.Join("\n", apart));
    }

    private static readonly string[] Distinguishing =
    [
        "3.14159265 and 1234567890 or 12,345", "Hello\n\n\nworld\r\n\r\nagain", "abc中文def 한국어ghi", "trailing   ",
        "x = [1,2,3];\n\tif (a>=b) { return -1; }", "µ-meter Ωhm über naïve", "don't I'M we'VE", "  leading\t\ttabs",
        "...!!!??? ,.;:", "２０２４年", "foo_bar-baz/qux", "emoji 🦙🦙 done",
        "مرحبا بالعالم", "नमस्ते दुनिया", "สวัสดี ชาวโลก", "שלום עולם", "こんにちは世界abc", "$hello #tag @user",
    ];
}
