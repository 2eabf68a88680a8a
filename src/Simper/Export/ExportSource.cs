using System.Text.Json;
using System.Text.Json.Nodes;
using Simper.Checkpoints;
using Simper.Models;
using static TorchSharp.torch;

namespace Simper.Export;

/// <summary>
/// What the export reads from a Hugging Face model folder: config.json (parsed and raw, for fields the model does not
/// use, such as sliding_window), the weights by name, and the folder itself for the tokenizer files.
/// </summary>
public sealed class ExportSource : IDisposable
{
    /// <summary>The families the export writes; others are refused in one line naming the family.</summary>
    public static readonly IReadOnlyList<string> Families = ["llama", "mistral", "qwen2"];

    private readonly List<SafetensorsReader> _readers;

    public string Folder { get; }
    public ModelConfig Config { get; }
    public JsonObject RawConfig { get; }
    /// <summary>Every weight name and its shape, in file order.</summary>
    public IReadOnlyList<(string Name, long[] Shape)> Weights { get; }

    private ExportSource(string folder, ModelConfig config, JsonObject raw, List<SafetensorsReader> readers)
    {
        Folder = folder;
        Config = config;
        RawConfig = raw;
        _readers = readers;
        Weights = readers.SelectMany(r => r.Entries.Values.Select(e => (e.Name, e.Shape))).ToList();
    }

    /// <summary>
    /// Opens <paramref name="dir"/>: the one place the export reads a model folder, so a shared model-folder object
    /// can replace it without touching the writers.
    /// </summary>
    public static ExportSource Open(string dir)
    {
        if (!Directory.Exists(dir)) throw new SimperException($"{dir}: model folder not found");
        var configPath = Path.Combine(dir, PretrainedModel.ConfigFile);
        if (!File.Exists(configPath)) throw new SimperException($"{configPath}: file not found; a model folder needs a Hugging Face config.json");
        JsonObject raw;
        try { raw = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject ?? throw new JsonException("not a JSON object"); }
        catch (JsonException e) { throw new SimperException($"{configPath}: invalid JSON ({e.Message.Split('\n')[0]})", e); }
        var family = raw["model_type"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (family == null || !Families.Contains(family))
            throw new SimperException($"{configPath}: model_type \"{family}\" cannot be exported to GGUF; the export writes {string.Join(", ", Families)}");
        var config = ModelConfig.Load(configPath);
        var readers = new List<SafetensorsReader>();
        try
        {
            foreach (var file in PretrainedModel.WeightFiles(dir)) readers.Add(SafetensorsReader.Open(file));
            return new ExportSource(dir, config, raw, readers);
        }
        catch
        {
            foreach (var r in readers) r.Dispose();
            throw;
        }
    }

    public bool Has(string name) => _readers.Any(r => r.Entries.ContainsKey(name));

    /// <summary>The weight <paramref name="name"/> as float32.</summary>
    public Tensor Read(string name)
    {
        foreach (var r in _readers)
            if (r.Entries.ContainsKey(name))
            {
                var raw = r.Read(name);
                if (raw.dtype == ScalarType.Float32) return raw;
                using (raw) return raw.to(ScalarType.Float32);
            }
        throw new SimperException($"{Folder}: weight \"{name}\" not found");
    }

    public void Dispose()
    {
        foreach (var r in _readers) r.Dispose();
    }
}
