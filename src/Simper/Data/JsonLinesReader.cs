using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace Simper.Data;

/// <summary>
/// Reads JSON Lines one line at a time, so a file of any size streams. Written here rather than with StreamReader
/// because a line must be capped in bytes before it is held in memory, and bytes that are not UTF-8 must be an error
/// naming the line (StreamReader silently replaces them). Blank lines are skipped but still counted.
/// </summary>
internal static class JsonLinesReader
{
    public static IEnumerable<RawRow> Read(string file, Stream stream, int maxLineBytes)
    {
        var chunk = new byte[1 << 16];
        var line = new ArrayBufferWriter<byte>();
        bool tooLong = false;
        long lineNumber = 0, index = 0;
        int start = 0, end = 0;
        while (true)
        {
            if (start == end)
            {
                start = 0;
                end = stream.Read(chunk, 0, chunk.Length);
                if (end == 0)
                {
                    if (line.WrittenCount > 0 || tooLong)
                        if (Parse(file, ++lineNumber, index, line.WrittenSpan, tooLong, maxLineBytes) is { } last) yield return last;
                    yield break;
                }
            }
            var available = chunk.AsSpan(start, end - start);
            var newline = available.IndexOf((byte)'\n');
            var piece = newline < 0 ? available : available[..newline];
            if (!tooLong && line.WrittenCount + piece.Length > maxLineBytes) { tooLong = true; line.Clear(); }
            if (!tooLong) line.Write(piece);
            start += piece.Length;
            if (newline < 0) continue;
            start++;
            if (Parse(file, ++lineNumber, index, line.WrittenSpan, tooLong, maxLineBytes) is { } row)
            {
                index++;
                yield return row;
            }
            line.Clear();
            tooLong = false;
        }
    }

    private static RawRow? Parse(string file, long lineNumber, long index, ReadOnlySpan<byte> bytes, bool tooLong, int maxLineBytes)
    {
        var source = new RowSource(file, index, lineNumber);
        if (tooLong) return new RawRow(source, null, $"line is longer than {FormatBytes(maxLineBytes)}");
        if (lineNumber == 1 && bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
        if (bytes.EndsWith("\r"u8)) bytes = bytes[..^1];
        if (bytes.Trim(" \t\r"u8).IsEmpty) return null;
        if (!Utf8.IsValid(bytes)) return new RawRow(source, null, $"invalid UTF-8 bytes at byte {InvalidUtf8Offset(bytes) + 1} (the file must be UTF-8)");
        try
        {
            return JsonNode.Parse(bytes) is JsonObject row
                ? new RawRow(source, row, null)
                : new RawRow(source, null, $"expected a JSON object, found {JsonKinds.Describe(JsonNode.Parse(bytes))}");
        }
        catch (JsonException e)
        {
            return new RawRow(source, null, $"malformed JSON at byte {e.BytePositionInLine + 1}: {JsonKinds.ShortMessage(e)}");
        }
    }

    private static int InvalidUtf8Offset(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        Utf8.ToUtf16(bytes, chars, out var read, out _, replaceInvalidSequences: false);
        return read;
    }

    internal static string FormatBytes(long bytes) =>
        bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB" : $"{bytes} bytes";
}
