using System.Text.Json;
using System.Text.Json.Nodes;
using Simper.Checkpoints;
using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Lora;

/// <summary>
/// PEFT's adapter folder: adapter_config.json (the LoraConfig fields PEFT writes, keys sorted as PEFT sorts them)
/// and adapter_model.safetensors with keys base_model.model.{module}.lora_A.weight [r, in] and .lora_B.weight [out, r].
/// </summary>
public static class PeftAdapterFiles
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    private const string KeyPrefix = "base_model.model.";

    public static string KeyA(string moduleName) => $"{KeyPrefix}{moduleName}.lora_A.weight";
    public static string KeyB(string moduleName) => $"{KeyPrefix}{moduleName}.lora_B.weight";

    public static void Save(LlamaForCausalLM model, LoraConfig config, string dir, string? baseModelPath)
    {
        var adapted = LoraModel.Adapted(model);
        if (adapted.Count == 0) throw new InvalidOperationException("the model carries no LoRA adapters to save");
        var mismatch = adapted.FirstOrDefault(a => a.Layer.Rank != config.Rank || Math.Abs(a.Layer.Scale - config.Scale) > 1e-12);
        if (mismatch.Layer is not null)
            throw new InvalidOperationException($"{mismatch.Name} has rank {mismatch.Layer.Rank} and scale {mismatch.Layer.Scale}; the config says r {config.Rank}, scale {config.Scale}");

        var tensors = new List<(string, Tensor)>();
        foreach (var (name, layer) in adapted)
        {
            tensors.Add((KeyA(name), layer.lora_A!.weight!));
            tensors.Add((KeyB(name), layer.lora_B!.weight!));
        }
        Directory.CreateDirectory(dir);
        // Each file is written beside its final name and moved over it, so a crash never leaves a torn file.
        var weights = Path.Combine(dir, WeightsFile);
        SafetensorsWriter.Write(weights + ".partial", tensors);
        File.Move(weights + ".partial", weights, overwrite: true);
        var json = Path.Combine(dir, ConfigFile);
        File.WriteAllText(json + ".partial", ConfigJson(config.ForModel(model.Config), baseModelPath));
        File.Move(json + ".partial", json, overwrite: true);
    }

    /// <summary>adapter_config.json as PEFT writes it for a plain LoRA adapter of a causal language model.</summary>
    public static string ConfigJson(LoraConfig config, string? baseModelPath)
    {
        JsonNode Number(double value) => value == Math.Floor(value) && Math.Abs(value) < 1e15 ? JsonValue.Create((long)value) : JsonValue.Create(value);
        var root = new JsonObject
        {
            ["alpha_pattern"] = new JsonObject(),
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = baseModelPath,
            ["bias"] = config.Bias,
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["layer_replication"] = null,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = null,
            ["loftq_config"] = new JsonObject(),
            ["lora_alpha"] = Number(config.Alpha),
            ["lora_dropout"] = config.Dropout,
            ["megatron_config"] = null,
            ["megatron_core"] = "megatron.core",
            ["modules_to_save"] = null,
            ["peft_type"] = "LORA",
            ["r"] = config.Rank,
            ["rank_pattern"] = new JsonObject(),
            ["revision"] = null,
            ["target_modules"] = new JsonArray(config.ExpandedTargets.Select(t => (JsonNode)t).ToArray()),
            ["task_type"] = "CAUSAL_LM",
            ["use_dora"] = false,
            ["use_rslora"] = false,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    public static LoraConfig Load(LlamaForCausalLM model, string dir)
    {
        if (!Directory.Exists(dir)) throw new SimperException($"{dir}: adapter folder not found");
        var configPath = Path.Combine(dir, ConfigFile);
        var config = PeftConfigReader.Read(configPath).ForModel(model.Config);
        var weightsPath = Path.Combine(dir, WeightsFile);
        if (!File.Exists(weightsPath))
            throw new SimperException(File.Exists(Path.Combine(dir, "adapter_model.bin"))
                ? $"{dir}: holds adapter_model.bin (pickle) weights, which are not read; expected {WeightsFile}"
                : $"{dir}: no {WeightsFile}; expected PEFT adapter weights in safetensors");

        using var reader = SafetensorsReader.Open(weightsPath);
        var targets = LoraModel.TargetLayers(model, config, configPath);
        // Check every name and shape before touching the model, so a bad file leaves it unchanged.
        var expected = new Dictionary<string, long[]>();
        foreach (var (name, layer) in targets)
        {
            expected[KeyA(name)] = [config.Rank, layer.InFeatures];
            expected[KeyB(name)] = [layer.OutFeatures, config.Rank];
        }
        foreach (var entry in reader.Entries.Values)
        {
            if (!expected.TryGetValue(entry.Name, out var shape))
                throw new SimperException($"{weightsPath}: unexpected tensor \"{entry.Name}\"; {ConfigFile} targets {string.Join(", ", config.ExpandedTargets)}");
            if (!entry.Shape.SequenceEqual(shape))
                throw new SimperException($"{weightsPath}: tensor \"{entry.Name}\" has shape [{string.Join(", ", entry.Shape)}]; r {config.Rank} and the model imply [{string.Join(", ", shape)}]");
        }
        if (expected.Keys.FirstOrDefault(k => !reader.Entries.ContainsKey(k)) is { } missing)
            throw new SimperException($"{weightsPath}: tensor \"{missing}\" is missing; {ConfigFile} targets {string.Join(", ", config.ExpandedTargets)}");

        LoraModel.Apply(model, config);
        using var noGrad = torch.no_grad();
        foreach (var (name, layer) in targets)
        {
            using var a = reader.Read(KeyA(name));
            using var b = reader.Read(KeyB(name));
            layer.lora_A!.weight!.copy_(a); // converts dtype and moves to the adapter's device
            layer.lora_B!.weight!.copy_(b);
        }
        return config;
    }
}
