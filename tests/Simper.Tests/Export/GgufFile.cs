using System.Text;

namespace Simper.Tests.Export;

/// <summary>
/// An independent reader of a GGUF file's header (metadata and tensor infos), written from the format's
/// specification, to check what the export and llama.cpp's quantizer wrote.
/// </summary>
public sealed record GgufFile(uint Version, Dictionary<string, object> Metadata, Dictionary<string, uint> TensorTypes,
    Dictionary<string, ulong[]> TensorDims)
{
    public static GgufFile Read(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        Assert.Equal("GGUF", Encoding.ASCII.GetString(reader.ReadBytes(4)));
        var version = reader.ReadUInt32();
        var tensorCount = reader.ReadUInt64();
        var kvCount = reader.ReadUInt64();
        var metadata = new Dictionary<string, object>();
        for (ulong i = 0; i < kvCount; i++)
        {
            var key = String(reader);
            metadata[key] = Value(reader, reader.ReadUInt32());
        }
        var types = new Dictionary<string, uint>();
        var dims = new Dictionary<string, ulong[]>();
        for (ulong i = 0; i < tensorCount; i++)
        {
            var name = String(reader);
            var n = reader.ReadUInt32();
            dims[name] = Enumerable.Range(0, (int)n).Select(_ => reader.ReadUInt64()).ToArray();
            types[name] = reader.ReadUInt32();
            reader.ReadUInt64(); // offset
        }
        return new GgufFile(version, metadata, types, dims);
    }

    private static string String(BinaryReader r) => Encoding.UTF8.GetString(r.ReadBytes(checked((int)r.ReadUInt64())));

    private static object Value(BinaryReader r, uint type) => type switch
    {
        0 => r.ReadByte(), 1 => r.ReadSByte(), 2 => r.ReadUInt16(), 3 => r.ReadInt16(), 4 => r.ReadUInt32(), 5 => r.ReadInt32(),
        6 => r.ReadSingle(), 7 => r.ReadByte() != 0, 8 => String(r), 10 => r.ReadUInt64(), 11 => r.ReadInt64(), 12 => r.ReadDouble(),
        9 => Array(r),
        _ => throw new InvalidDataException($"GGUF value type {type}"),
    };

    private static object Array(BinaryReader r)
    {
        var type = r.ReadUInt32();
        var count = checked((int)r.ReadUInt64());
        return type switch
        {
            8 => Enumerable.Range(0, count).Select(_ => String(r)).ToArray(),
            6 => Enumerable.Range(0, count).Select(_ => r.ReadSingle()).ToArray(),
            5 => Enumerable.Range(0, count).Select(_ => r.ReadInt32()).ToArray(),
            _ => Enumerable.Range(0, count).Select(_ => Value(r, type)).ToArray(),
        };
    }
}
