using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Checkpoints;

/// <summary>One tensor's entry in a safetensors header; offsets are relative to the data section after the header.</summary>
public sealed record SafetensorsEntry(string Name, ScalarType Dtype, long[] Shape, long Begin, long End);

/// <summary>
/// Reads a safetensors file: 8-byte little-endian header length, a JSON header mapping names to dtype, shape and
/// byte offsets, then the raw little-endian data. The header is fully validated on open; tensors are read one at a
/// time straight from the file into tensor memory, so a multi-gigabyte file is never held in one buffer.
/// </summary>
public sealed class SafetensorsReader : IDisposable
{
    private const int MaxHeaderBytes = 100_000_000; // the safetensors format's own limit
    private readonly FileStream stream;
    private readonly long dataStart;

    public string Path { get; }
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    private SafetensorsReader(string path, FileStream stream, long dataStart, Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata)
    {
        Path = path;
        this.stream = stream;
        this.dataStart = dataStart;
        Entries = entries;
        Metadata = metadata;
    }

    public static SafetensorsReader Open(string path)
    {
        if (!File.Exists(path)) throw new SimperException($"{path}: file not found");
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        try
        {
            var (dataStart, entries, metadata) = ReadHeader(stream, path);
            return new SafetensorsReader(path, stream, dataStart, entries, metadata);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static (long, Dictionary<string, SafetensorsEntry>, Dictionary<string, string>) ReadHeader(FileStream stream, string path)
    {
        var fileLength = stream.Length;
        if (fileLength < 8) throw new SimperException($"{path}: not a safetensors file ({fileLength} bytes, shorter than the 8-byte header length)");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = BitConverter.ToUInt64(lengthBytes);
        if (headerLength > (ulong)(fileLength - 8) || headerLength > MaxHeaderBytes)
            throw new SimperException($"{path}: header length {headerLength} is beyond the file ({fileLength} bytes); the file is truncated or not safetensors");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        var dataLength = fileLength - 8 - (long)headerLength;

        JsonDocument document;
        try { document = JsonDocument.Parse(headerBytes); }
        catch (JsonException e) { throw new SimperException($"{path}: header is not valid JSON ({e.Message.Split('\n')[0]})", e); }
        using var _ = document;
        if (document.RootElement.ValueKind != JsonValueKind.Object) throw new SimperException($"{path}: header is not a JSON object");

        var entries = new Dictionary<string, SafetensorsEntry>();
        var metadata = new Dictionary<string, string>();
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                foreach (var item in property.Value.EnumerateObject()) metadata[item.Name] = item.Value.ToString();
                continue;
            }
            entries[property.Name] = ParseEntry(path, property.Name, property.Value, dataLength);
        }
        CheckNoOverlap(path, entries.Values);
        return (8 + (long)headerLength, entries, metadata);
    }

    private static SafetensorsEntry ParseEntry(string path, string name, JsonElement value, long dataLength)
    {
        SimperException Bad(string what) => new($"{path}: tensor \"{name}\": {what}");
        if (value.ValueKind != JsonValueKind.Object) throw Bad("header entry is not an object");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad("missing dtype");
        var code = dtypeElement.GetString()!;
        if (!SafetensorsDtypes.TryParse(code, out var dtype, out var elementSize))
            throw Bad($"dtype \"{code}\" is not supported; expected one of {SafetensorsDtypes.Supported}");
        var shape = LongArray(value, "shape") ?? throw Bad("missing or invalid shape");
        if (shape.Any(d => d < 0)) throw Bad($"shape [{string.Join(", ", shape)}] has a negative dimension");
        var offsets = LongArray(value, "data_offsets");
        if (offsets is not { Length: 2 }) throw Bad("data_offsets must be two integers [begin, end]");
        var (begin, end) = (offsets[0], offsets[1]);
        if (begin < 0 || end < begin || end > dataLength)
            throw Bad($"data_offsets [{begin}, {end}] lie beyond the {dataLength} data bytes in the file (truncated?)");
        var expected = shape.Aggregate(1L, (a, b) => a * b) * elementSize;
        if (end - begin != expected)
            throw Bad($"data_offsets [{begin}, {end}] span {end - begin} bytes but {code} [{string.Join(", ", shape)}] needs {expected}");
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    private static long[]? LongArray(JsonElement parent, string field)
    {
        if (!parent.TryGetProperty(field, out var element) || element.ValueKind != JsonValueKind.Array) return null;
        var values = new List<long>();
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var v)) return null;
            values.Add(v);
        }
        return values.ToArray();
    }

    private static void CheckNoOverlap(string path, IEnumerable<SafetensorsEntry> entries)
    {
        SafetensorsEntry? previous = null;
        foreach (var entry in entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin))
        {
            if (previous != null && entry.Begin < previous.End)
                throw new SimperException($"{path}: tensor \"{entry.Name}\" data_offsets [{entry.Begin}, {entry.End}] overlap tensor \"{previous.Name}\" [{previous.Begin}, {previous.End}]");
            previous = entry;
        }
    }

    /// <summary>Reads one tensor into new CPU memory in the file's dtype.</summary>
    public Tensor Read(string name)
    {
        if (!Entries.TryGetValue(name, out var entry)) throw new SimperException($"{Path}: no tensor named \"{name}\"");
        var tensor = torch.empty(entry.Shape, dtype: entry.Dtype);
        stream.Position = dataStart + entry.Begin;
        foreach (var chunk in TensorBytes.Chunks(tensor))
        {
            using var _ = chunk;
            stream.ReadExactly(chunk.bytes);
        }
        return tensor;
    }

    public void Dispose() => stream.Dispose();
}
