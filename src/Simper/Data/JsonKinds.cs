using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simper.Data;

/// <summary>Words for JSON values and errors in one-line messages.</summary>
internal static class JsonKinds
{
    /// <summary>"string", "number", "boolean", "list", "object" or "null".</summary>
    public static string Describe(JsonNode? node) => node?.GetValueKind() switch
    {
        null or JsonValueKind.Null => "null",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Array => "list",
        JsonValueKind.Object => "object",
        _ => "nothing",
    };

    /// <summary>System.Text.Json's message without its " Path: ... | LineNumber: ..." suffix (the caller names the place).</summary>
    public static string ShortMessage(JsonException e)
    {
        var message = e.Message;
        foreach (var marker in new[] { " Path: ", " LineNumber: " })
        {
            var at = message.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0) message = message[..at];
        }
        return message.TrimEnd();
    }
}
