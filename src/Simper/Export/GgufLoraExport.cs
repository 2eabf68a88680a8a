using Simper.Checkpoints;
using Simper.Lora;
using static TorchSharp.torch;

namespace Simper.Export;

/// <summary>
/// Writes a PEFT LoRA adapter folder as a GGUF LoRA adapter that llama.cpp applies to the base model's GGUF
/// (llama_adapter_lora_init), as convert_lora_to_gguf.py writes it: general.type "adapter", adapter.type "lora",
/// adapter.lora.alpha, and per adapted module "{name}.weight.lora_a" [r, in] and ".lora_b" [out, r], with lora_b's rows
/// of q_proj and k_proj permuted like the base weights they add to.
/// </summary>
public static class GgufLoraExport
{
    public static void Write(string adapterDir, string baseModelDir, string output)
    {
        var config = PeftConfigReader.Read(Path.Combine(adapterDir, PeftAdapterFiles.ConfigFile));
        if (config.Bias != "none")
            throw new SimperException($"{Path.Combine(adapterDir, PeftAdapterFiles.ConfigFile)}: field \"bias\" is \"{config.Bias}\"; a GGUF LoRA adapter carries no biases, expected \"none\"");
        var weightsPath = Path.Combine(adapterDir, PeftAdapterFiles.WeightsFile);
        if (!File.Exists(weightsPath)) throw new SimperException($"{weightsPath}: file not found; a PEFT adapter folder needs its weights");
        using var source = ExportSource.Open(baseModelDir);
        using var weights = SafetensorsReader.Open(weightsPath);
        var c = source.Config;
        var arch = GgufModelExport.Architecture(c);

        var writer = new GgufWriter();
        writer.Add("general.architecture", arch);
        writer.Add("general.type", "adapter");
        writer.Add("general.name", Path.GetFileName(Path.GetFullPath(adapterDir).TrimEnd(Path.DirectorySeparatorChar)));
        writer.Add("general.alignment", (uint)GgufWriter.Alignment);
        writer.Add("adapter.type", "lora");
        writer.Add("adapter.lora.alpha", (float)config.Alpha);

        const string suffixA = ".lora_A.weight";
        foreach (var keyA in weights.Entries.Keys.Where(k => k.EndsWith(suffixA, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var module = keyA["base_model.model.".Length..^suffixA.Length];
            var keyB = PeftAdapterFiles.KeyB(module);
            if (!weights.Entries.TryGetValue(keyB, out var b)) throw new SimperException($"{weightsPath}: \"{keyA}\" has no \"{keyB}\"");
            var name = GgufTensorNames.Module(module)
                ?? throw new SimperException($"{weightsPath}: adapted module \"{module}\" has no GGUF tensor name");
            int? heads = !RotaryLayout.Needed(arch) ? null
                : module.EndsWith(".self_attn.q_proj") ? c.NumAttentionHeads
                : module.EndsWith(".self_attn.k_proj") ? c.NumKeyValueHeads : null;
            writer.AddTensor($"{name}.weight.lora_a", weights.Entries[keyA].Shape, GgmlType.F32, () => weights.Read(keyA));
            writer.AddTensor($"{name}.weight.lora_b", b.Shape, GgmlType.F32, () =>
            {
                var data = weights.Read(keyB);
                return heads is int h ? RotaryLayout.Permute(data, h) : data;
            });
        }
        if (!writer.TensorNames.Any()) throw new SimperException($"{weightsPath}: no LoRA weights (keys ending in {suffixA})");
        var directory = Path.GetDirectoryName(Path.GetFullPath(output));
        if (directory != null) Directory.CreateDirectory(directory);
        writer.Write(output);
    }
}
