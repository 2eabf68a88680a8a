using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Simper.Training;

/// <summary>
/// Reads trainer settings from a YAML or JSON recipe (JSON is read as YAML, of which it is a subset) and writes the
/// effective settings as JSON. Keys are the option names in kebab-case or snake_case; the method's hyperparameters
/// sit under <c>hyperparameters</c>. Errors name the file, line and key.
/// </summary>
public static class TrainingRecipe
{
    public const string HyperparametersKey = "hyperparameters";

    /// <summary>What a run recorded about its launch beside the settings: the processes (mpirun ranks) and the global
    /// batch they made. Read back they are ignored; the launcher and the settings fix them anew.</summary>
    public const string ProcessesKey = "processes", GlobalBatchKey = "global-batch-size";

    /// <summary>Defaults overlaid with the recipe at <paramref name="path"/>.</summary>
    public static TrainingSettings Load(string path)
    {
        var settings = new TrainingSettings();
        Apply(settings, path);
        return settings;
    }

    /// <summary>Overlays the values of the recipe at <paramref name="path"/> onto <paramref name="settings"/>.</summary>
    public static void Apply(TrainingSettings settings, string path)
    {
        if (!File.Exists(path)) throw new SimperException($"{path}: recipe file not found");
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new SimperException($"{path}:{e.Start.Line}: not valid YAML or JSON: {e.Message}", e);
        }
        if (stream.Documents.Count == 0) return;
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new SimperException($"{path}:{stream.Documents[0].RootNode.Start.Line}: expected a mapping of option names to values");

        foreach (var (keyNode, valueNode) in root.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            var origin = $"{path}:{keyNode.Start.Line}: {key}";
            if (key.Replace('-', '_') == HyperparametersKey) ApplyHyperparameters(settings, valueNode, path);
            else if (key == ProcessesKey || key == GlobalBatchKey) continue;
            else if (TrainingSettings.Find(key) is { } option) option.SetText(settings, ScalarText(valueNode, origin, option.Expected), origin);
            else throw new SimperException(
                $"{origin}: unknown key; expected one of {string.Join(", ", TrainingSettings.Options.Select(o => o.Name))}, {HyperparametersKey}");
        }
        settings.Validate(path);
    }

    private static void ApplyHyperparameters(TrainingSettings settings, YamlNode node, string path)
    {
        if (node is not YamlMappingNode mapping)
            throw new SimperException($"{path}:{node.Start.Line}: {HyperparametersKey}: expected a mapping of names to numbers, e.g. beta: 0.1");
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var name = ((YamlScalarNode)keyNode).Value ?? "";
            var origin = $"{path}:{keyNode.Start.Line}: {HyperparametersKey}.{name}";
            var text = ScalarText(valueNode, origin, "a number");
            if (!TrainingSettings.TryParseFinite(text, out var value))
                throw new SimperException($"{origin}: '{text}' is not valid; expected a number");
            settings.Hyperparameters[name] = value;
        }
    }

    private static string ScalarText(YamlNode node, string origin, string expected) =>
        node is YamlScalarNode { Value: { Length: > 0 } text } ? text
            : throw new SimperException($"{origin}: found {Describe(node)}; expected {expected}");

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        _ => "an empty value",
    };

    /// <summary>
    /// Writes the effective settings (every option, then the hyperparameters) as JSON with kebab-case keys, so a run
    /// records exactly what it used and <see cref="Load"/> reads the file back to the same settings.
    /// </summary>
    public static void Save(TrainingSettings settings, string path, int processes = 1) =>
        AtomicFile.Write(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            foreach (var option in TrainingSettings.Options)
            {
                switch (option.GetValue(settings))
                {
                    case int i: json.WriteNumber(option.Name, i); break;
                    case double d: json.WriteNumber(option.Name, d); break;
                    case bool b: json.WriteBoolean(option.Name, b); break;
                    case var other: json.WriteString(option.Name, (string)other); break;
                }
            }
            json.WriteNumber(ProcessesKey, processes);
            // Global batch = batch size × gradient accumulation × processes, as accelerate counts it.
            json.WriteNumber(GlobalBatchKey, settings.EffectiveBatchSize * processes);
            json.WriteStartObject(HyperparametersKey);
            foreach (var (name, value) in settings.Hyperparameters.OrderBy(p => p.Key, StringComparer.Ordinal))
                json.WriteNumber(name, value);
            json.WriteEndObject();
            json.WriteEndObject();
        });
}
