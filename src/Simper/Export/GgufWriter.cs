using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Export;

/// <summary>The ggml tensor types the export writes itself; quantized types come from llama.cpp's quantizer.</summary>
public enum GgmlType : uint { F32 = 0, F16 = 1, BF16 = 30 }

/// <summary>
/// Writes a GGUF v3 file as llama.cpp's gguf-py does: magic "GGUF", version, tensor count, metadata count, the
/// metadata (typed key/value pairs), the tensor infos (name, dims fastest-first, type, offset), padding to
/// general.alignment and the tensor data, each tensor starting on an aligned offset.
/// </summary>
public sealed class GgufWriter
{
    public const int Alignment = 32;

    private enum ValueType : uint { UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7, String = 8, Array = 9 }

    private sealed record Entry(string Key, ValueType Type, object Value);

    /// <summary>A tensor whose data is produced (as float32, in torch's row-major layout) only when the file is written.</summary>
    private sealed record TensorEntry(string Name, long[] Shape, GgmlType Type, Func<Tensor> Data);

    private readonly List<Entry> _metadata = [];
    private readonly List<TensorEntry> _tensors = [];

    public void Add(string key, string value) => Put(key, ValueType.String, value);
    public void Add(string key, uint value) => Put(key, ValueType.UInt32, value);
    public void Add(string key, int value) => Put(key, ValueType.Int32, value);
    public void Add(string key, float value) => Put(key, ValueType.Float32, value);
    public void Add(string key, bool value) => Put(key, ValueType.Bool, value);
    public void Add(string key, IReadOnlyList<string> values) => Put(key, ValueType.Array, (ValueType.String, (object)values));
    public void Add(string key, IReadOnlyList<float> values) => Put(key, ValueType.Array, (ValueType.Float32, (object)values));
    public void Add(string key, IReadOnlyList<int> values) => Put(key, ValueType.Array, (ValueType.Int32, (object)values));

    public IEnumerable<string> Keys => _metadata.Select(e => e.Key);
    public IEnumerable<string> TensorNames => _tensors.Select(t => t.Name);

    private void Put(string key, ValueType type, object value)
    {
        if (_metadata.Any(e => e.Key == key)) throw new InvalidOperationException($"GGUF key {key} written twice");
        _metadata.Add(new Entry(key, type, value));
    }

    /// <summary>Adds a tensor of torch shape <paramref name="shape"/>; <paramref name="data"/> is called once, at write time.</summary>
    public void AddTensor(string name, long[] shape, GgmlType type, Func<Tensor> data)
    {
        if (_tensors.Any(t => t.Name == name)) throw new InvalidOperationException($"GGUF tensor {name} written twice");
        _tensors.Add(new TensorEntry(name, shape, type, data));
    }

    /// <summary>Writes the file beside <paramref name="path"/> and moves it into place, so a failure leaves no torn file.</summary>
    public void Write(string path)
    {
        var partial = path + ".partial";
        try
        {
            using (var stream = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            using (var writer = new BinaryWriter(stream, Encoding.UTF8))
                WriteTo(writer);
            File.Move(partial, path, overwrite: true);
        }
        catch
        {
            if (File.Exists(partial)) File.Delete(partial);
            throw;
        }
    }

    private void WriteTo(BinaryWriter w)
    {
        w.Write(Encoding.ASCII.GetBytes("GGUF"));
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_metadata.Count);
        foreach (var entry in _metadata)
        {
            WriteString(w, entry.Key);
            w.Write((uint)entry.Type);
            WriteValue(w, entry.Type, entry.Value);
        }
        ulong offset = 0;
        foreach (var t in _tensors)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Shape.Length);
            // ggml lists dimensions fastest-varying first, the reverse of torch's order.
            foreach (var d in t.Shape.Reverse()) w.Write((ulong)d);
            w.Write((uint)t.Type);
            w.Write(offset);
            offset += Aligned(ByteSize(t));
        }
        Pad(w);
        foreach (var t in _tensors)
        {
            using var scope = torch.NewDisposeScope();
            var data = t.Data();
            if (!data.shape.SequenceEqual(t.Shape))
                throw new InvalidOperationException($"tensor {t.Name} has shape [{string.Join(", ", data.shape)}], declared [{string.Join(", ", t.Shape)}]");
            var stored = data.detach().to(Dtype(t.Type), torch.CPU).contiguous();
            using var flat = stored.view(-1);
            const long chunk = 1L << 26;
            for (long start = 0; start < flat.numel(); start += chunk)
            {
                using var part = flat.narrow(0, start, Math.Min(chunk, flat.numel() - start));
                w.Write(part.bytes);
            }
            Pad(w);
        }
    }

    private static ScalarType Dtype(GgmlType type) => type switch
    {
        GgmlType.F32 => ScalarType.Float32,
        GgmlType.F16 => ScalarType.Float16,
        GgmlType.BF16 => ScalarType.BFloat16,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    private static ulong ByteSize(TensorEntry t) =>
        (ulong)t.Shape.Aggregate(1L, (a, b) => a * b) * (t.Type == GgmlType.F32 ? 4ul : 2ul);

    private static ulong Aligned(ulong n) => (n + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter w)
    {
        var position = (ulong)w.BaseStream.Position;
        for (var i = position; i < Aligned(position); i++) w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, ValueType type, object value)
    {
        switch (type)
        {
            case ValueType.String: WriteString(w, (string)value); break;
            case ValueType.UInt32: w.Write((uint)value); break;
            case ValueType.Int32: w.Write((int)value); break;
            case ValueType.Float32: w.Write((float)value); break;
            case ValueType.Bool: w.Write((bool)value ? (byte)1 : (byte)0); break;
            case ValueType.Array:
                var (elementType, items) = ((ValueType, object))value;
                w.Write((uint)elementType);
                switch (items)
                {
                    case IReadOnlyList<string> s: w.Write((ulong)s.Count); foreach (var x in s) WriteString(w, x); break;
                    case IReadOnlyList<float> f: w.Write((ulong)f.Count); foreach (var x in f) w.Write(x); break;
                    case IReadOnlyList<int> i: w.Write((ulong)i.Count); foreach (var x in i) w.Write(x); break;
                }
                break;
        }
    }
}
