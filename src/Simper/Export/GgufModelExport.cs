using System.Text.Json.Nodes;
using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Export;

/// <summary>
/// Writes a Hugging Face model folder as one GGUF file that llama.cpp (and LLamaSharp, Ollama) run: architecture
/// metadata, the tokenizer, and the weights under llama.cpp's names and layouts, as convert_hf_to_gguf.py writes them.
/// </summary>
public static class GgufModelExport
{
    /// <summary>
    /// Writes <paramref name="output"/> from the folder <paramref name="modelDir"/> with 2-D weights as
    /// <paramref name="type"/> (norms and biases stay F32, as in the converter). Returns notes for the user, such as
    /// a sliding window llama.cpp ignores.
    /// </summary>
    public static IReadOnlyList<string> Write(string modelDir, string output, GgmlType type)
    {
        using var source = ExportSource.Open(modelDir);
        var writer = new GgufWriter();
        var architecture = Architecture(source.Config);
        AddMetadata(writer, source.Config, architecture, Path.GetFileName(Path.GetFullPath(modelDir).TrimEnd(Path.DirectorySeparatorChar)));
        writer.Add("general.file_type", GgufExportType.FileType(type));
        GgufTokenizer.AddTo(writer, source.Folder, source.Config.VocabSize);
        AddTensors(writer, source, architecture, type);
        var directory = Path.GetDirectoryName(Path.GetFullPath(output));
        if (directory != null) Directory.CreateDirectory(directory);
        writer.Write(output);
        return Notes(source.Config, source.RawConfig, architecture);
    }

    /// <summary>llama.cpp's architecture name: Mistral is written as llama, as the converter does.</summary>
    public static string Architecture(ModelConfig config) => config.ModelType == "qwen2" ? "qwen2" : "llama";

    internal static void AddMetadata(GgufWriter writer, ModelConfig c, string arch, string name)
    {
        writer.Add("general.architecture", arch);
        writer.Add("general.name", name);
        writer.Add("general.alignment", (uint)GgufWriter.Alignment);
        writer.Add($"{arch}.vocab_size", (uint)c.VocabSize);
        writer.Add($"{arch}.context_length", (uint)c.MaxPositionEmbeddings);
        writer.Add($"{arch}.embedding_length", (uint)c.HiddenSize);
        writer.Add($"{arch}.feed_forward_length", (uint)c.IntermediateSize);
        writer.Add($"{arch}.block_count", (uint)c.NumHiddenLayers);
        writer.Add($"{arch}.attention.head_count", (uint)c.NumAttentionHeads);
        writer.Add($"{arch}.attention.head_count_kv", (uint)c.NumKeyValueHeads);
        writer.Add($"{arch}.attention.layer_norm_rms_epsilon", (float)c.RmsNormEps);
        writer.Add($"{arch}.rope.freq_base", (float)c.RopeTheta);
        writer.Add($"{arch}.rope.dimension_count", (uint)c.HeadDim);
        if (c.HeadDim != c.HiddenSize / c.NumAttentionHeads)
        {
            writer.Add($"{arch}.attention.key_length", (uint)c.HeadDim);
            writer.Add($"{arch}.attention.value_length", (uint)c.HeadDim);
        }
    }

    private static void AddTensors(GgufWriter writer, ExportSource source, string arch, GgmlType type)
    {
        var c = source.Config;
        foreach (var (name, shape) in source.Weights)
        {
            // A tied head is the embedding; llama.cpp uses token_embd when output.weight is absent.
            if ((c.TieWordEmbeddings && name == "lm_head.weight") || name.EndsWith(".rotary_emb.inv_freq")) continue;
            var ggufName = GgufTensorNames.Weight(name)
                ?? throw new SimperException($"{source.Folder}: weight \"{name}\" has no GGUF tensor name; {c.ModelType} has no such weight");
            int? heads = !RotaryLayout.Needed(arch) ? null
                : name.Contains(".self_attn.q_proj.") ? c.NumAttentionHeads
                : name.Contains(".self_attn.k_proj.") ? c.NumKeyValueHeads : null;
            writer.AddTensor(ggufName, shape, shape.Length == 1 ? GgmlType.F32 : type, () =>
            {
                var data = source.Read(name);
                return heads is int h ? RotaryLayout.Permute(data, h) : data;
            });
        }
        if (c.RopeScaling is { } scaling) writer.AddTensor("rope_freqs.weight", [c.HeadDim / 2], GgmlType.F32, () => RopeFactors(c, scaling));
    }

    /// <summary>Llama 3 RoPE scaling as llama.cpp reads it: one factor per rotary frequency, as the converter computes them.</summary>
    private static Tensor RopeFactors(ModelConfig c, Llama3RopeScaling s)
    {
        var factors = new float[c.HeadDim / 2];
        double lowWavelength = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
        double highWavelength = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        for (int i = 0; i < factors.Length; i++)
        {
            var frequency = 1.0 / Math.Pow(c.RopeTheta, 2.0 * i / c.HeadDim);
            var wavelength = 2 * Math.PI / frequency;
            if (wavelength < highWavelength) factors[i] = 1f;
            else if (wavelength > lowWavelength) factors[i] = (float)s.Factor;
            else
            {
                var smooth = (s.OriginalMaxPositionEmbeddings / wavelength - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                factors[i] = (float)(1 / ((1 - smooth) / s.Factor + smooth));
            }
        }
        return torch.tensor(factors);
    }

    /// <summary>What the file cannot carry: a sliding window, which llama.cpp's llama and qwen2 graphs do not apply.</summary>
    private static List<string> Notes(ModelConfig c, JsonObject raw, string arch)
    {
        var window = raw["sliding_window"] is JsonValue v && v.TryGetValue<int>(out var w) ? w : (int?)null;
        var active = c.ModelType switch
        {
            "mistral" => window < c.MaxPositionEmbeddings,
            "qwen2" => ((bool?)raw["use_sliding_window"] ?? false) && window < c.MaxPositionEmbeddings,
            _ => false,
        };
        return active
            ? [$"sliding_window {window} is not written: llama.cpp's {arch} architecture attends over the whole context"]
            : [];
    }
}
