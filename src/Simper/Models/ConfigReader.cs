using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simper.Models;

/// <summary>Typed access to config.json fields, with one-line errors naming the file and the field.</summary>
internal sealed class ConfigReader(JsonObject root, string source, string prefix = "")
{
    public string Source => source;

    public SimperException Error(string field, string found, string expected) =>
        new($"{source}: field \"{prefix}{field}\" is {found}; expected {expected}");

    /// <summary>Whether the field is present at all (a null value included), to tell "null" from transformers' default.</summary>
    public bool Has(string field) => root.ContainsKey(field);

    private JsonNode? Node(string field) => root.TryGetPropertyValue(field, out var node) ? node : null;

    public JsonObject? Object(string field) => Node(field) switch
    {
        null => null,
        JsonObject o => o,
        var other => throw Error(field, Describe(other), "an object or null"),
    };

    public string? String(string field) => Node(field) switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var other => throw Error(field, Describe(other), "a string"),
    };

    public IReadOnlyList<string>? StringList(string field) => Node(field) switch
    {
        null => null,
        JsonArray a when a.All(x => x?.GetValueKind() == JsonValueKind.String) => a.Select(x => x!.GetValue<string>()).ToList(),
        var other => throw Error(field, Describe(other), "a list of strings"),
    };

    public bool? Bool(string field) => Node(field) switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        var other => throw Error(field, Describe(other), "true or false"),
    };

    public int? Int(string field)
    {
        var node = Node(field);
        if (node == null) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i)) return i;
        throw Error(field, Describe(node), "an integer");
    }

    public double? Double(string field)
    {
        var node = Node(field);
        if (node == null) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number) return v.GetValue<double>();
        throw Error(field, Describe(node), "a number");
    }

    public int RequiredInt(string field)
    {
        var value = Int(field) ?? throw Error(field, "missing", "a positive integer");
        return value > 0 ? value : throw Error(field, value.ToString(), "a positive integer");
    }

    public double RequiredDouble(string field) => Double(field) ?? throw Error(field, "missing", "a number");

    public IReadOnlyList<int> IntOrIntList(string field) => Node(field) switch
    {
        null => [],
        JsonArray a => a.Select(x => x is JsonValue v && v.TryGetValue<int>(out var i) ? i : throw Error(field, Describe(a), "an integer or a list of integers")).ToList(),
        _ => [Int(field)!.Value],
    };

    public double[] RequiredDoubleList(string field) => Node(field) switch
    {
        JsonArray a => [.. a.Select(x => x is JsonValue v && v.TryGetValue<double>(out var d) ? d : throw Error(field, Describe(a), "a list of numbers"))],
        var other => throw Error(field, other is null ? "missing" : Describe(other), "a list of numbers"),
    };

    private static string Describe(JsonNode? node)
    {
        var text = node?.ToJsonString() ?? "null";
        return text.Length > 40 ? text[..40] + "..." : text;
    }
}
