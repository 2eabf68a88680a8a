using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simper.Data;

/// <summary>
/// Reads a <c>.json</c> file: a top-level array of rows (streamed element by element), an object whose one list
/// field holds the rows (<c>{"data": [...]}</c>, parsed whole), or JSON Lines saved under a <c>.json</c> name (what
/// Hugging Face's <c>to_json</c> writes), recognised by a first line that is a complete object.
/// </summary>
internal static class JsonFileReader
{
    public static IEnumerable<RawRow> Read(string file, DataOptions options)
    {
        var layout = Sniff(file, options);
        return layout switch
        {
            Layout.Array => ReadArray(file),
            Layout.Document => ReadDocument(file, options.JsonField),
            _ => ReadLines(file, options.MaxLineBytes),
        };
    }

    private enum Layout { Array, Document, Lines }

    /// <summary>Looks at the first line only: '[' starts an array; '{' alone on its line starts a pretty-printed document.</summary>
    private static Layout Sniff(string file, DataOptions options)
    {
        using var stream = DataFileOpener.Open(file);
        var head = new byte[1 << 16];
        var count = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var text = head.AsSpan(0, count);
        if (text.StartsWith("\uFEFF"u8)) text = text[3..];
        var trimmed = text.TrimStart(" \t\r\n"u8);
        if (trimmed.IsEmpty) return Layout.Lines; // no rows: the caller reports the empty file
        if (trimmed[0] == (byte)'[') return Layout.Array;
        if (trimmed[0] != (byte)'{' || options.JsonField is not null) return Layout.Document;
        var newline = trimmed.IndexOf((byte)'\n');
        var firstLine = newline < 0 ? trimmed : trimmed[..newline];
        return firstLine.Trim(" \t\r"u8).Length == 1 ? Layout.Document : Layout.Lines;
    }

    private static IEnumerable<RawRow> ReadLines(string file, int maxLineBytes)
    {
        using var stream = DataFileOpener.Open(file);
        foreach (var row in JsonLinesReader.Read(file, stream, maxLineBytes)) yield return row;
    }

    private static IEnumerable<RawRow> ReadArray(string file)
    {
        using var stream = new StrictUtf8Stream(DataFileOpener.Open(file), file);
        using var elements = JsonSerializer.DeserializeAsyncEnumerable<JsonNode>(stream).ToBlockingEnumerable().GetEnumerator();
        for (long index = 0; ; index++)
        {
            JsonNode? element;
            try
            {
                if (!elements.MoveNext()) yield break;
                element = elements.Current;
            }
            catch (JsonException e)
            {
                // The rest of an array cannot be found after a syntax error, so this stops the whole file.
                throw new SimperException($"{file}:{e.LineNumber + 1}: malformed JSON: {JsonKinds.ShortMessage(e)}", e);
            }
            yield return ToRow(file, index, element);
        }
    }

    private static IEnumerable<RawRow> ReadDocument(string file, string? field)
    {
        JsonNode? document;
        using (var stream = new StrictUtf8Stream(DataFileOpener.Open(file), file))
        {
            try { document = JsonNode.Parse(stream); }
            catch (JsonException e)
            {
                throw new SimperException($"{file}:{e.LineNumber + 1}: malformed JSON: {JsonKinds.ShortMessage(e)}", e);
            }
        }
        var rows = document switch
        {
            JsonArray array when field is null => array,
            JsonObject obj => RowsField(file, obj, field),
            _ => throw new SimperException(
                $"{file}: expected a list of rows or an object holding one, found {JsonKinds.Describe(document)}"),
        };
        for (var index = 0; index < rows.Count; index++) yield return ToRow(file, index, rows[index]);
    }

    private static JsonArray RowsField(string file, JsonObject document, string? field)
    {
        var fields = string.Join(", ", document.Select(p => p.Key));
        if (field is not null)
        {
            if (!document.TryGetPropertyValue(field, out var chosen))
                throw new SimperException($"{file}: the top-level object has no field '{field}'; it has: {fields}");
            return chosen as JsonArray ?? throw new SimperException(
                $"{file}: field '{field}': expected a list of rows, found {JsonKinds.Describe(chosen)}");
        }
        var lists = document.Where(p => p.Value is JsonArray).ToList();
        if (lists.Count == 1 && document.Count == 1) return (JsonArray)lists[0].Value!;
        throw new SimperException(
            $"{file}: the top-level object has fields {fields}; expected a list of rows, or an object with one list field (name it with the JSON field option)");
    }

    private static RawRow ToRow(string file, long index, JsonNode? element)
    {
        var source = new RowSource(file, index);
        if (element is not JsonObject row)
            return new RawRow(source, null, $"expected a JSON object, found {JsonKinds.Describe(element)}");
        return new RawRow(source, row, null);
    }
}
