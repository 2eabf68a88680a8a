using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simper.Templates;

/// <summary>
/// Converts inputs to the template value model: string, long, double, bool, null, lists
/// (<see cref="IReadOnlyList{T}"/> of object?) and string-keyed dictionaries (key order kept). Nothing else reaches
/// a template, which is what keeps it from touching any .NET object.
/// </summary>
public static class TemplateValues
{
    private const int MaxDepth = 128;

    /// <summary>A JSON value as Python's json.loads would give it (integers stay integers, 1.0 stays a float).</summary>
    public static object? FromJson(JsonElement element) => FromJson(element, 0);

    /// <summary>A JSON node as Python's json.loads would give it; a null node is None.</summary>
    public static object? FromJson(JsonNode? node) => node is null ? null : FromJson(JsonSerializer.SerializeToElement(node), 0);

    private static object? FromJson(JsonElement element, int depth)
    {
        if (depth > MaxDepth) throw new TemplateException($"template variable nested deeper than {MaxDepth} levels");
        switch (element.ValueKind)
        {
            case JsonValueKind.String: return element.GetString();
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.Null or JsonValueKind.Undefined: return null;
            case JsonValueKind.Number:
                var raw = element.GetRawText();
                var isInteger = raw.IndexOfAny(['.', 'e', 'E']) < 0;
                return isInteger && element.TryGetInt64(out var l) ? (object)l : element.GetDouble();
            case JsonValueKind.Array: return element.EnumerateArray().Select(e => FromJson(e, depth + 1)).ToList();
            default:
                var dict = new Dictionary<string, object?>();
                foreach (var property in element.EnumerateObject()) dict[property.Name] = FromJson(property.Value, depth + 1);
                return dict;
        }
    }

    /// <summary>
    /// A .NET value in the template value model: integers become long, floating numbers double, chat messages and
    /// dictionaries string-keyed dictionaries, other sequences lists, JSON values as by <see cref="FromJson(JsonElement)"/>.
    /// </summary>
    /// <exception cref="TemplateException">The value (or something inside it) has a type templates cannot see.</exception>
    public static object? From(object? value, string name = "value") => From(value, name, 0);

    private static object? From(object? value, string path, int depth)
    {
        if (depth > MaxDepth) throw new TemplateException($"template variable '{path}' is nested deeper than {MaxDepth} levels");
        switch (value)
        {
            case null or string or bool or long or double: return value;
            case int or short or sbyte or byte or ushort or uint: return Convert.ToInt64(value);
            case ulong u: return u <= long.MaxValue ? (object)(long)u : (double)u;
            case float or decimal: return Convert.ToDouble(value);
            case char c: return c.ToString();
            case JsonElement element: return FromJson(element, depth);
            case JsonNode node: return FromJson(node);
            case ChatMessage message: return From(message.ToDictionary(), path, depth);
            case IReadOnlyDictionary<string, object?> dict:
                return dict.ToDictionary(kv => kv.Key, kv => From(kv.Value, $"{path}.{kv.Key}", depth + 1));
            case IDictionary dict:
                var result = new Dictionary<string, object?>();
                foreach (DictionaryEntry entry in dict)
                {
                    var key = entry.Key as string
                        ?? throw new TemplateException($"template variable '{path}' has a key of type {entry.Key.GetType().Name}; keys must be strings");
                    result[key] = From(entry.Value, $"{path}.{key}", depth + 1);
                }
                return result;
            case IEnumerable sequence:
                var items = new List<object?>();
                foreach (var item in sequence) items.Add(From(item, $"{path}[{items.Count}]", depth + 1));
                return items;
            default:
                throw new TemplateException($"template variable '{path}' has type {value.GetType().Name}; templates accept " +
                                            "strings, numbers, booleans, null, lists and string-keyed dictionaries");
        }
    }
}
