using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simper.Data;

/// <summary>Reads typed values out of a row, each problem a one-line <see cref="RowProblem"/> naming the field.</summary>
internal static class RowFields
{
    public static JsonNode? Required(JsonObject row, string field, FormatSpec format) =>
        row.TryGetPropertyValue(field, out var value)
            ? value
            : throw new RowProblem($"field '{field}' is missing; the {format} format needs it");

    /// <summary>Text or a non-empty list of {role, content} messages. Responses must not have empty content.</summary>
    public static (string? Text, List<Message>? Messages) TextOrMessages(JsonNode? node, string field, bool isResponse)
    {
        if (node?.GetValueKind() == JsonValueKind.String) return (Text(node, field), null);
        if (node is JsonArray list) return (null, Messages(list, field, isResponse));
        throw new RowProblem($"field '{field}': expected a string or a list of messages, found {JsonKinds.Describe(node)}");
    }

    public static Prompt Prompt(JsonNode? node, string field)
    {
        var (text, messages) = TextOrMessages(node, field, isResponse: false);
        return text is not null ? Data.Prompt.FromText(text) : Data.Prompt.FromMessages(messages!);
    }

    public static Completion Completion(JsonNode? node, string field)
    {
        var (text, messages) = TextOrMessages(node, field, isResponse: true);
        return text is not null ? Data.Completion.FromText(text) : Data.Completion.FromMessages(messages!);
    }

    public static string Text(JsonNode? node, string field)
    {
        if (node?.GetValueKind() != JsonValueKind.String)
            throw new RowProblem($"field '{field}': expected a string, found {JsonKinds.Describe(node)}");
        var text = node.GetValue<string>();
        return text.Length > 0 ? text : throw new RowProblem($"field '{field}': empty string");
    }

    public static List<Message> Messages(JsonArray list, string field, bool isResponse)
    {
        if (list.Count == 0) throw new RowProblem($"field '{field}': empty list of messages");
        var messages = new List<Message>(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject item || !IsString(item["role"]) || !IsString(item["content"]))
                throw new RowProblem(
                    $"field '{field}': message {i}: expected an object with 'role' and 'content' strings, found {Shape(list[i])}");
            var message = new Message(item["role"]!.GetValue<string>(), item["content"]!.GetValue<string>());
            if (isResponse && message.Content.Length == 0) throw new RowProblem($"field '{field}': message {i} has empty content");
            messages.Add(message);
        }
        return messages;
    }

    public static int[] TokenIds(JsonNode? node, string field)
    {
        if (node is not JsonArray list)
            throw new RowProblem($"field '{field}': expected a list of token ids, found {JsonKinds.Describe(node)}");
        if (list.Count == 0) throw new RowProblem($"field '{field}': empty list of token ids");
        var ids = new int[list.Count];
        for (var i = 0; i < ids.Length; i++)
            if (list[i] is not JsonValue value || !JsonNumbers.TryGetInt32(value, out ids[i]) || ids[i] < 0)
                throw new RowProblem($"field '{field}': item {i}: expected a token id (a non-negative integer), found {Literal(list[i])}");
        return ids;
    }

    public static bool Label(JsonNode? node, string field) => node?.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new RowProblem($"field '{field}': expected true or false, found {JsonKinds.Describe(node)}"),
    };

    /// <summary>The reference log-probabilities, when the row carries them (both or neither; null counts as absent).</summary>
    public static (double? Chosen, double? Rejected) ReferenceLogps(JsonObject row)
    {
        var chosen = OptionalNumber(row, "ref_chosen_logps");
        var rejected = OptionalNumber(row, "ref_rejected_logps");
        if (chosen.HasValue != rejected.HasValue)
            throw new RowProblem(chosen.HasValue
                ? "field 'ref_rejected_logps' is missing; it must come with 'ref_chosen_logps'"
                : "field 'ref_chosen_logps' is missing; it must come with 'ref_rejected_logps'");
        return (chosen, rejected);
    }

    private static double? OptionalNumber(JsonObject row, string field)
    {
        if (!row.TryGetPropertyValue(field, out var node) || node is null) return null;
        if (node is JsonValue value && JsonNumbers.TryGetDouble(value, out var number) && double.IsFinite(number)) return number;
        throw new RowProblem($"field '{field}': expected a number, found {Literal(node)}");
    }

    private static bool IsString(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String;

    private static string Shape(JsonNode? node) => node is JsonObject obj
        ? $"an object with {(obj.Count == 0 ? "no fields" : string.Join(", ", obj.Select(p => $"'{p.Key}' ({JsonKinds.Describe(p.Value)})")))}"
        : JsonKinds.Describe(node);

    private static string Literal(JsonNode? node) =>
        node is JsonValue && node.GetValueKind() == JsonValueKind.Number ? node.ToJsonString() : JsonKinds.Describe(node);
}
