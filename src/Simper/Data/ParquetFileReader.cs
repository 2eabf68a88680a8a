using System.Collections;
using System.Text.Json.Nodes;
using Parquet;
using Parquet.Serialization;

namespace Simper.Data;

/// <summary>
/// Reads a Parquet file one row group at a time with Parquet.Net's untyped deserializer, which assembles nested
/// columns (lists of ints, lists of structs such as message lists, maps). Each row becomes a JSON object with every
/// top-level column present, null where the value is null.
/// </summary>
internal static class ParquetFileReader
{
    public static IEnumerable<RawRow> Read(string file)
    {
        using var stream = DataFileOpener.Open(file, seekable: true);
        var (columns, rowGroups) = Run(file, async () =>
        {
            await using var reader = await ParquetReader.CreateAsync(stream, leaveStreamOpen: true).ConfigureAwait(false);
            return (reader.Schema.Fields.Select(f => f.Name).ToArray(), reader.RowGroupCount);
        });
        long index = 0;
        for (var group = 0; group < rowGroups; group++)
        {
            stream.Position = 0;
            var rows = Run(file, async () =>
                (await ParquetSerializer.DeserializeUntypedAsync(stream, rowGroupIndex: group).ConfigureAwait(false)).Data);
            foreach (var values in rows)
            {
                var row = new JsonObject();
                foreach (var column in columns) row[column] = values.TryGetValue(column, out var value) ? ToNode(value) : null;
                yield return new RawRow(new RowSource(file, index++), row, null);
            }
        }
    }

    // Parquet.Net is asynchronous; rows are an IEnumerable, so each call is awaited here, off any synchronization context.
    private static T Run<T>(string file, Func<Task<T>> read)
    {
        try { return Task.Run(read).GetAwaiter().GetResult(); }
        catch (Exception e) when (e is not SimperException and not OutOfMemoryException)
        {
            throw new SimperException($"{file}: cannot read as Parquet: {e.Message.Split('\n')[0].Trim()}", e);
        }
    }

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        short s => JsonValue.Create(s),
        byte b => JsonValue.Create(b),
        sbyte b => JsonValue.Create(b),
        ushort u => JsonValue.Create(u),
        uint u => JsonValue.Create(u),
        ulong u => JsonValue.Create(u),
        float f => JsonValue.Create(f),
        double d => JsonValue.Create(d),
        decimal m => JsonValue.Create(m),
        byte[] bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
        DateTime t => JsonValue.Create(t.ToString("O")),
        DateTimeOffset t => JsonValue.Create(t.ToString("O")),
        IDictionary map => ToObject(map),
        IEnumerable items => new JsonArray([.. items.Cast<object?>().Select(ToNode)]),
        _ => JsonValue.Create(value.ToString()),
    };

    private static JsonObject ToObject(IDictionary map)
    {
        var obj = new JsonObject();
        foreach (DictionaryEntry entry in map) obj[entry.Key.ToString()!] = ToNode(entry.Value);
        return obj;
    }
}
