using System.Text.Json;
using System.Text.Json.Nodes;
using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Checkpoints;

/// <summary>Loads and saves model folders in the Hugging Face layout (config.json + safetensors weights).</summary>
public static class PretrainedModel
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>Tokenizer and generation files copied next to saved weights so the folder is usable on its own.</summary>
    public static readonly string[] CompanionFiles =
    [
        "tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json",
        "vocab.json", "merges.txt", "generation_config.json",
    ];

    /// <summary>Reads config.json and the weights (single file or sharded) into a model of <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public static (LlamaForCausalLM Model, ModelConfig Config) Load(string dir, ScalarType dtype, Device device)
    {
        if (!Directory.Exists(dir)) throw new SimperException($"{dir}: model folder not found");
        var config = ModelConfig.Load(Path.Combine(dir, ConfigFile));
        return (Load(dir, config, dtype, device), config);
    }

    /// <summary>The weights of <paramref name="dir"/> into a model of the <paramref name="config"/> already read from it.</summary>
    internal static LlamaForCausalLM Load(string dir, ModelConfig config, ScalarType dtype, Device device)
    {
        var files = WeightFiles(dir);
        var model = new LlamaForCausalLM(config, device, dtype);
        try
        {
            LoadWeights(model, files);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The safetensors files of a model folder, or a one-line error saying what the folder holds instead.</summary>
    internal static IReadOnlyList<string> WeightFiles(string dir)
    {
        var single = Path.Combine(dir, WeightsFile);
        if (File.Exists(single)) return [single];
        var index = Path.Combine(dir, IndexFile);
        if (File.Exists(index)) return ShardsFromIndex(index);
        if (File.Exists(Path.Combine(dir, "pytorch_model.bin")) || File.Exists(Path.Combine(dir, "pytorch_model.bin.index.json")))
            throw new SimperException($"{dir}: holds pytorch_model.bin (pickle) weights, which are not read; convert them to safetensors first " +
                "(in Python: AutoModelForCausalLM.from_pretrained(dir).save_pretrained(dir, safe_serialization=True))");
        throw new SimperException($"{dir}: no {WeightsFile} or {IndexFile}; expected Hugging Face safetensors weights");
    }

    private static IReadOnlyList<string> ShardsFromIndex(string indexPath)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(indexPath)); }
        catch (JsonException e) { throw new SimperException($"{indexPath}: invalid JSON ({e.Message.Split('\n')[0]})", e); }
        if (root?["weight_map"] is not JsonObject map)
            throw new SimperException($"{indexPath}: field \"weight_map\" is missing; expected an object mapping tensor names to shard files");
        var dir = Path.GetDirectoryName(indexPath)!;
        var shards = map.Select(kv => kv.Value?.GetValueKind() == JsonValueKind.String
                ? kv.Value.GetValue<string>()
                : throw new SimperException($"{indexPath}: weight_map entry \"{kv.Key}\" is not a file name"))
            .Distinct().ToList();
        foreach (var shard in shards)
            if (!File.Exists(Path.Combine(dir, shard))) throw new SimperException($"{indexPath}: shard \"{shard}\" listed in weight_map does not exist");
        return shards.Select(s => Path.Combine(dir, s)).ToList();
    }

    private static void LoadWeights(LlamaForCausalLM model, IReadOnlyList<string> files)
    {
        var parameters = model.state_dict();
        var loaded = new HashSet<string>();
        using var noGrad = torch.no_grad();
        foreach (var file in files)
        {
            using var reader = SafetensorsReader.Open(file);
            foreach (var entry in reader.Entries.Values)
            {
                if (IsIgnored(entry.Name, model.Config)) continue;
                if (!parameters.TryGetValue(entry.Name, out var target))
                    throw new SimperException($"{file}: unexpected tensor \"{entry.Name}\" (shape {Shape(entry.Shape)}); {model.Config.Architecture} has no such weight");
                if (!entry.Shape.SequenceEqual(target.shape))
                    throw new SimperException($"{file}: tensor \"{entry.Name}\" has shape {Shape(entry.Shape)}; config.json implies {Shape(target.shape)}");
                using var data = reader.Read(entry.Name);
                target.copy_(data); // converts dtype and moves to the model's device
                loaded.Add(entry.Name);
            }
        }
        var missing = parameters.Keys.Where(k => !loaded.Contains(k)).ToList();
        if (missing.Count > 0)
            throw new SimperException($"{Path.GetDirectoryName(files[0])}: weights missing for {missing.Count} tensor(s), first \"{missing[0]}\" (shape {Shape(parameters[missing[0]].shape)})");
    }

    /// <summary>
    /// Tensors that checkpoints may carry but the model recomputes: a tied head's copy of the embeddings, and the
    /// RoPE frequency buffers older transformers versions saved.
    /// </summary>
    private static bool IsIgnored(string name, ModelConfig config) =>
        (config.TieWordEmbeddings && name == "lm_head.weight") || name.EndsWith(".rotary_emb.inv_freq");

    private static string Shape(long[] shape) => $"[{string.Join(", ", shape)}]";

    /// <summary>
    /// Writes <paramref name="dir"/> as a Hugging Face model folder: config.json stating <paramref name="dtype"/>,
    /// weights in one model.safetensors or, beyond <paramref name="maxShardBytes"/>, shards named
    /// model-0000i-of-0000n.safetensors plus model.safetensors.index.json, and the tokenizer/generation files of
    /// <paramref name="copyTokenizerFrom"/> when given. The folder is assembled beside the target and renamed into
    /// place, so a crash never leaves a half-written checkpoint; an existing folder at <paramref name="dir"/> is replaced.
    /// </summary>
    public static void Save(LlamaForCausalLM model, ModelConfig config, string dir, ScalarType dtype,
        long maxShardBytes = 5_000_000_000, string? copyTokenizerFrom = null)
    {
        var target = Path.GetFullPath(dir.TrimEnd(Path.DirectorySeparatorChar));
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.saving-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            File.WriteAllText(Path.Combine(staging, ConfigFile), config.ToJson(dtype));
            WriteWeights(model, staging, dtype, maxShardBytes);
            if (copyTokenizerFrom != null)
                foreach (var name in CompanionFiles)
                {
                    var source = Path.Combine(copyTokenizerFrom, name);
                    if (File.Exists(source)) File.Copy(source, Path.Combine(staging, name));
                }
            ReplaceFolder(staging, target);
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    private static void WriteWeights(LlamaForCausalLM model, string dir, ScalarType dtype, long maxShardBytes)
    {
        // state_dict has no lm_head.weight when the head is tied, matching what transformers saves.
        var tensors = model.state_dict().Select(kv => (kv.Key, kv.Value)).ToList();
        var elementSize = SafetensorsDtypes.ElementSize(dtype);
        var shards = new List<List<(string Name, Tensor Tensor)>> { new() };
        long shardBytes = 0;
        foreach (var item in tensors)
        {
            var bytes = item.Value.numel() * elementSize;
            if (shards[^1].Count > 0 && shardBytes + bytes > maxShardBytes) { shards.Add([]); shardBytes = 0; }
            shards[^1].Add(item);
            shardBytes += bytes;
        }
        if (shards.Count == 1)
        {
            SafetensorsWriter.Write(Path.Combine(dir, WeightsFile), shards[0], dtype);
            return;
        }
        var weightMap = new JsonObject();
        for (var i = 0; i < shards.Count; i++)
        {
            var name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            SafetensorsWriter.Write(Path.Combine(dir, name), shards[i], dtype);
            foreach (var (tensorName, _) in shards[i]) weightMap[tensorName] = name;
        }
        var index = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = tensors.Sum(t => t.Value.numel() * elementSize) },
            ["weight_map"] = weightMap,
        };
        File.WriteAllText(Path.Combine(dir, IndexFile), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Moves the finished folder into place, moving any previous folder aside first and deleting it after.</summary>
    private static void ReplaceFolder(string staging, string target)
    {
        string? previous = null;
        if (Directory.Exists(target))
        {
            previous = $"{staging}.previous";
            Directory.Move(target, previous);
        }
        Directory.Move(staging, target);
        if (previous != null) Directory.Delete(previous, recursive: true);
    }
}
