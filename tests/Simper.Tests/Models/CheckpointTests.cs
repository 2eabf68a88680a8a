using System.Text;
using Simper.Checkpoints;
using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Models;

public class CheckpointTests
{
    private static readonly long[,] Tokens = { { 1, 5, 9, 14, 3, 7 }, { 1, 44, 2, 0, 31, 8 } };

    private static Tensor Logits(LlamaForCausalLM model)
    {
        using var noGrad = torch.no_grad();
        using var ids = torch.tensor(Tokens);
        using var logits = model.forward(ids);
        return logits.to(ScalarType.Float32);
    }

    private static void AssertBitIdentical(LlamaForCausalLM expected, LlamaForCausalLM actual)
    {
        var a = expected.state_dict();
        var b = actual.state_dict();
        Assert.Equal(a.Keys, b.Keys);
        foreach (var key in a.Keys)
        {
            Assert.Equal(a[key].dtype, b[key].dtype);
            Assert.True(a[key].bytes.SequenceEqual(b[key].bytes), $"{key} differs");
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void SaveLoadSaveIsBitExactAndGivesIdenticalLogits(ScalarType dtype)
    {
        using var temp = new TempFolder();
        var config = TestModels.Qwen2Tiny();
        using var original = ModelFactory.CreateRandom(config, seed: 7, dtype: dtype);
        PretrainedModel.Save(original, config, temp.File("a"), dtype);
        var (loaded, loadedConfig) = PretrainedModel.Load(temp.File("a"), dtype, torch.CPU);
        using var _ = loaded;
        AssertBitIdentical(original, loaded);
        Assert.Equal(config.ToJson(dtype), loadedConfig.ToJson());
        using var before = Logits(original);
        using var after = Logits(loaded);
        Assert.True(before.eq(after).all().item<bool>());
        Assert.False(before.isnan().any().item<bool>());

        PretrainedModel.Save(loaded, loadedConfig, temp.File("b"), dtype);
        Assert.Equal(File.ReadAllBytes(temp.File("a/model.safetensors")), File.ReadAllBytes(temp.File("b/model.safetensors")));
    }

    [Fact]
    public void TiedHeadIsOneParameterAndIsNotSaved()
    {
        using var temp = new TempFolder();
        var config = TestModels.Qwen2Tiny();
        using var model = ModelFactory.CreateRandom(config, seed: 1);
        Assert.Null(model.lm_head);
        Assert.Equal(model.model.embed_tokens.weight!.storage<float>().data_ptr(), model.OutputWeight.storage<float>().data_ptr());
        Assert.Single(model.parameters(), p => p.shape.SequenceEqual(new long[] { 50, 32 }));
        Assert.DoesNotContain("lm_head.weight", model.state_dict().Keys);

        PretrainedModel.Save(model, config, temp.Path, ScalarType.Float32);
        using var reader = SafetensorsReader.Open(temp.File("model.safetensors"));
        Assert.DoesNotContain("lm_head.weight", reader.Entries.Keys);
        Assert.Contains("model.layers.1.self_attn.q_proj.bias", reader.Entries.Keys);
        Assert.DoesNotContain("model.layers.1.self_attn.o_proj.bias", reader.Entries.Keys);
        Assert.Equal("pt", reader.Metadata["format"]);

        // A gradient step through the logits moves the embedding rows too, because they are the same tensor.
        using var ids = torch.tensor(new long[] { 3, 4 }, [1, 2]);
        using var logits = model.forward(ids);
        using var loss = logits[0, 1, 49];
        loss.backward();
        using var grad = model.model.embed_tokens.weight!.grad!;
        Assert.True(grad[49].abs().sum().item<float>() > 0); // row 49 was never an input: only the head reaches it
    }

    [Fact]
    public void BFloat16CheckpointLoadsIntoFloat32AndMatchesItsRoundedWeights()
    {
        using var temp = new TempFolder();
        var config = TestModels.Qwen2Tiny();
        using var model = ModelFactory.CreateRandom(config, seed: 3);
        PretrainedModel.Save(model, config, temp.Path, ScalarType.BFloat16);
        Assert.Contains("\"torch_dtype\": \"bfloat16\"", File.ReadAllText(temp.File("config.json")));
        using (var reader = SafetensorsReader.Open(temp.File("model.safetensors")))
            Assert.All(reader.Entries.Values, e => Assert.Equal(ScalarType.BFloat16, e.Dtype));

        var (loaded, _) = PretrainedModel.Load(temp.Path, ScalarType.Float32, torch.CPU);
        using var __ = loaded;
        using var original = model.model.layers[0].self_attn.q_proj!.weight!.to(ScalarType.BFloat16).to(ScalarType.Float32);
        Assert.True(original.eq(loaded.model.layers[0].self_attn.q_proj!.weight!).all().item<bool>());
        using var logits = Logits(loaded);
        Assert.False(logits.isnan().any().item<bool>());
    }

    [Fact]
    public void ShardedSaveLoadsBackIdentically()
    {
        using var temp = new TempFolder();
        var config = TestModels.Qwen2Tiny();
        using var model = ModelFactory.CreateRandom(config, seed: 5);
        PretrainedModel.Save(model, config, temp.Path, ScalarType.Float32, maxShardBytes: 20_000);
        var shards = Directory.GetFiles(temp.Path, "model-*.safetensors").Select(Path.GetFileName).Order().ToList();
        Assert.True(shards.Count > 2);
        Assert.Equal($"model-00001-of-{shards.Count:D5}.safetensors", shards[0]);
        Assert.False(File.Exists(temp.File("model.safetensors")));
        Assert.Contains("\"weight_map\"", File.ReadAllText(temp.File("model.safetensors.index.json")));

        var (loaded, _) = PretrainedModel.Load(temp.Path, ScalarType.Float32, torch.CPU);
        using var _ = loaded;
        AssertBitIdentical(model, loaded);
    }

    [Fact]
    public void SaveCopiesTokenizerFilesAndReplacesTheFolder()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("source"));
        File.WriteAllText(temp.File("source/tokenizer_config.json"), "{}");
        File.WriteAllText(temp.File("source/merges.txt"), "a b");
        Directory.CreateDirectory(temp.File("out"));
        File.WriteAllText(temp.File("out/stale.txt"), "old");
        var config = TestModels.Qwen2Tiny();
        using var model = ModelFactory.CreateRandom(config, seed: 5);
        PretrainedModel.Save(model, config, temp.File("out"), ScalarType.Float32, copyTokenizerFrom: temp.File("source"));
        Assert.Equal(["config.json", "merges.txt", "model.safetensors", "tokenizer_config.json"],
            Directory.GetFiles(temp.File("out")).Select(p => Path.GetFileName(p)!).Order().ToArray());
        Assert.Equal(["out", "source"], Directory.GetFileSystemEntries(temp.Path).Select(p => Path.GetFileName(p)!).Order().ToArray());
    }

    private static string SavedTiny(TempFolder temp)
    {
        var config = TestModels.Qwen2Tiny();
        using var model = ModelFactory.CreateRandom(config, seed: 2);
        PretrainedModel.Save(model, config, temp.File("m"), ScalarType.Float32);
        return temp.File("m");
    }

    [Fact]
    public void TruncatedFileNamesFileAndTensor()
    {
        using var temp = new TempFolder();
        var dir = SavedTiny(temp);
        var path = Path.Combine(dir, "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^100]);
        var error = Assert.Throws<SimperException>(() => PretrainedModel.Load(dir, ScalarType.Float32, torch.CPU));
        Assert.StartsWith($"{path}: tensor \"", error.Message);
        Assert.Contains("lie beyond the", error.Message);
    }

    [Fact]
    public void HeaderLengthBeyondFileIsReported()
    {
        using var temp = new TempFolder();
        var path = temp.File("bad.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes(1_000_000UL), .. "{}"u8.ToArray()]);
        var error = Assert.Throws<SimperException>(() => SafetensorsReader.Open(path));
        Assert.Equal($"{path}: header length 1000000 is beyond the file (10 bytes); the file is truncated or not safetensors", error.Message);
    }

    private static string WithHeader(TempFolder temp, string header, int dataBytes)
    {
        var path = temp.File("x.safetensors");
        var headerBytes = Encoding.UTF8.GetBytes(header);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)headerBytes.Length), .. headerBytes, .. new byte[dataBytes]]);
        return path;
    }

    [Fact]
    public void OverlappingOffsetsAreReported()
    {
        using var temp = new TempFolder();
        var path = WithHeader(temp, """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12);
        var error = Assert.Throws<SimperException>(() => SafetensorsReader.Open(path));
        Assert.Equal($"{path}: tensor \"b\" data_offsets [4, 12] overlap tensor \"a\" [0, 8]", error.Message);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", "tensor \"a\": data_offsets [0, 8] span 8 bytes but F32 [3] needs 12")]
    [InlineData("""{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}""", "tensor \"a\": dtype \"F8_E4M3\" is not supported; expected one of F64, F32, BF16, F16, I64, I32")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]""", "header is not valid JSON")]
    public void InvalidHeadersAreReported(string header, string message)
    {
        using var temp = new TempFolder();
        var path = WithHeader(temp, header, 8);
        var error = Assert.Throws<SimperException>(() => SafetensorsReader.Open(path));
        Assert.StartsWith($"{path}: {message}", error.Message);
    }

    [Fact]
    public void ReaderReadsIntegerTensors()
    {
        using var temp = new TempFolder();
        using var ints = torch.tensor(new long[] { 5, -6, 1L << 40 });
        using var smallInts = torch.tensor(new int[] { 7, 8 });
        SafetensorsWriter.Write(temp.File("i.safetensors"), [("big", ints), ("small", smallInts)]);
        using var reader = SafetensorsReader.Open(temp.File("i.safetensors"));
        using var big = reader.Read("big");
        using var small = reader.Read("small");
        Assert.Equal(new long[] { 5, -6, 1L << 40 }, big.data<long>().ToArray());
        Assert.Equal(new[] { 7, 8 }, small.data<int>().ToArray());
    }

    [Fact]
    public void PickleOnlyFolderAsksForConversion()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("config.json"), TestModels.Qwen2Tiny().ToJson());
        File.WriteAllBytes(temp.File("pytorch_model.bin"), [0x80, 0x02]);
        var error = Assert.Throws<SimperException>(() => PretrainedModel.Load(temp.Path, ScalarType.Float32, torch.CPU));
        Assert.StartsWith($"{temp.Path}: holds pytorch_model.bin (pickle) weights, which are not read; convert them to safetensors first", error.Message);
    }

    [Fact]
    public void FolderWithoutConfigIsReported()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<SimperException>(() => PretrainedModel.Load(temp.Path, ScalarType.Float32, torch.CPU));
        Assert.Equal($"{temp.File("config.json")}: file not found; a model folder needs a Hugging Face config.json", error.Message);
    }

    [Fact]
    public void ShapeMismatchAndMissingKeysNameTheTensor()
    {
        using var temp = new TempFolder();
        var dir = SavedTiny(temp);
        File.WriteAllText(Path.Combine(dir, "config.json"), (TestModels.Qwen2Tiny() with { IntermediateSize = 48 }).ToJson());
        var error = Assert.Throws<SimperException>(() => PretrainedModel.Load(dir, ScalarType.Float32, torch.CPU));
        Assert.Equal($"{Path.Combine(dir, "model.safetensors")}: tensor \"model.layers.0.mlp.gate_proj.weight\" has shape [64, 32]; config.json implies [48, 32]", error.Message);

        File.WriteAllText(Path.Combine(dir, "config.json"), (TestModels.Qwen2Tiny() with { TieWordEmbeddings = false }).ToJson());
        error = Assert.Throws<SimperException>(() => PretrainedModel.Load(dir, ScalarType.Float32, torch.CPU));
        Assert.Equal($"{dir}: weights missing for 1 tensor(s), first \"lm_head.weight\" (shape [50, 32])", error.Message);

        File.WriteAllText(Path.Combine(dir, "config.json"), (TestModels.Qwen2Tiny() with { NumHiddenLayers = 1 }).ToJson());
        error = Assert.Throws<SimperException>(() => PretrainedModel.Load(dir, ScalarType.Float32, torch.CPU));
        Assert.StartsWith($"{Path.Combine(dir, "model.safetensors")}: unexpected tensor \"model.layers.1.", error.Message);
    }
}
