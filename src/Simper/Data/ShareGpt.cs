using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simper.Data;

/// <summary>
/// Reads ShareGPT-style messages (<c>{"from", "value"}</c>, as LLaMA-Factory's datasets use) as chat-template
/// messages. The speaker tags become template roles: human/user → user, gpt/assistant → assistant, system → system,
/// observation/tool (a tool's output) → tool, function_call/function (the assistant's tool call) → assistant.
/// </summary>
internal static class ShareGpt
{
    private static readonly Dictionary<string, string> Roles = new(StringComparer.Ordinal)
    {
        ["human"] = "user", ["user"] = "user",
        ["gpt"] = "assistant", ["assistant"] = "assistant",
        ["system"] = "system",
        ["observation"] = "tool", ["tool"] = "tool",
        ["function_call"] = "assistant", ["function"] = "assistant",
    };

    /// <summary>A list of {from, value} messages, or (for a response) a single one; a top-level <c>system</c> string goes first.</summary>
    public static List<Message> Messages(JsonNode? node, string field, bool isResponse)
    {
        var items = node switch
        {
            JsonArray list => list.ToList(),
            JsonObject single when isResponse => [single],
            _ => throw new RowProblem(
                $"field '{field}': expected {(isResponse ? "a {from, value} message or a list of them" : "a list of {from, value} messages")}, found {JsonKinds.Describe(node)}"),
        };
        if (items.Count == 0) throw new RowProblem($"field '{field}': empty list of messages");
        var messages = new List<Message>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not JsonObject item || item["from"]?.GetValueKind() != JsonValueKind.String
                || item["value"]?.GetValueKind() != JsonValueKind.String)
                throw new RowProblem($"field '{field}': message {i}: expected an object with 'from' and 'value' strings, found {JsonKinds.Describe(items[i])}");
            var from = item["from"]!.GetValue<string>();
            if (!Roles.TryGetValue(from, out var role))
                throw new RowProblem($"field '{field}': message {i}: unknown speaker '{from}'; expected one of {string.Join(", ", Roles.Keys)}");
            var content = item["value"]!.GetValue<string>();
            if (isResponse && content.Length == 0) throw new RowProblem($"field '{field}': message {i} has empty content");
            messages.Add(new Message(role, content));
        }
        return messages;
    }

    /// <summary>The conversation of a row, preceded by its <c>system</c> field when it has one.</summary>
    public static List<Message> Conversation(JsonObject row, string field, FormatSpec format)
    {
        var messages = Messages(RowFields.Required(row, field, format), field, isResponse: false);
        if (row.TryGetPropertyValue("system", out var system) && system is not null)
        {
            if (system.GetValueKind() != JsonValueKind.String)
                throw new RowProblem($"field 'system': expected a string, found {JsonKinds.Describe(system)}");
            if (system.GetValue<string>().Length > 0) messages.Insert(0, new Message("system", system.GetValue<string>()));
        }
        return messages;
    }
}
