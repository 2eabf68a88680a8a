using System.Text.Json;
using System.Text.Json.Nodes;
using Simper.Models;

namespace Simper.Lora;

/// <summary>
/// Reads a PEFT adapter_config.json into a <see cref="LoraConfig"/>, refusing (with a one-line error naming the
/// field) the PEFT options whose arithmetic this implementation does not reproduce, rather than loading them wrongly.
/// </summary>
internal static class PeftConfigReader
{
    public static LoraConfig Read(string path)
    {
        if (!File.Exists(path)) throw new SimperException($"{path}: file not found; a PEFT adapter folder needs adapter_config.json");
        JsonObject root;
        try { root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not a JSON object"); }
        catch (JsonException e) { throw new SimperException($"{path}: invalid JSON ({e.Message.Split('\n')[0]})", e); }
        var reader = new ConfigReader(root, path);

        var peftType = reader.String("peft_type");
        if (peftType != "LORA") throw reader.Error("peft_type", Quote(peftType), "\"LORA\"");
        var taskType = reader.String("task_type");
        if (taskType is not (null or "CAUSAL_LM")) throw reader.Error("task_type", Quote(taskType), "\"CAUSAL_LM\"");
        foreach (var flag in new[] { "use_dora", "use_rslora", "fan_in_fan_out" })
            if (reader.Bool(flag) == true) throw reader.Error(flag, "true", "false (not supported)");
        foreach (var pattern in new[] { "rank_pattern", "alpha_pattern" })
            if (reader.Object(pattern) is { Count: > 0 }) throw reader.Error(pattern, "non-empty", "{} (per-module ranks are not supported)");
        foreach (var unsupported in new[] { "modules_to_save", "layers_to_transform", "layer_replication" })
            if (root[unsupported] is JsonNode node && !(node is JsonArray { Count: 0 }))
                throw reader.Error(unsupported, Describe(node), "null (not supported)");

        return new LoraConfig
        {
            Rank = reader.RequiredInt("r"),
            Alpha = reader.Double("lora_alpha") ?? 8,     // PEFT's default
            Dropout = reader.Double("lora_dropout") ?? 0, // PEFT's default
            TargetModules = TargetModules(reader, root),
            Bias = reader.String("bias") ?? "none",
        };
    }

    private static IReadOnlyList<string> TargetModules(ConfigReader reader, JsonObject root)
    {
        // PEFT also accepts one string: "all-linear", or otherwise a regular expression, which is not supported.
        if (root["target_modules"] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            var text = value.GetValue<string>();
            return text == LoraConfig.AllLinear
                ? [text]
                : throw reader.Error("target_modules", Quote(text), $"a list of module names or \"{LoraConfig.AllLinear}\" (regular expressions are not supported)");
        }
        return reader.StringList("target_modules") ?? throw reader.Error("target_modules", "missing", "a list of module names");
    }

    private static string Quote(string? text) => text is null ? "missing" : $"\"{text}\"";

    private static string Describe(JsonNode node)
    {
        var text = node.ToJsonString();
        return text.Length > 40 ? text[..40] + "..." : text;
    }
}
