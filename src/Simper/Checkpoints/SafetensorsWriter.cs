using System.Text;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Checkpoints;

/// <summary>Writes safetensors files (the layout <see cref="SafetensorsReader"/> documents).</summary>
public static class SafetensorsWriter
{
    /// <summary>
    /// Writes the tensors in the given order, converting each to <paramref name="dtype"/> (when given) one at a time
    /// so only one converted tensor is in memory. Metadata defaults to {"format": "pt"}, which transformers expects.
    /// </summary>
    public static void Write(string path, IReadOnlyList<(string Name, Tensor Tensor)> tensors, ScalarType? dtype = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject { ["__metadata__"] = ToJson(metadata ?? new Dictionary<string, string> { ["format"] = "pt" }) };
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            var type = dtype ?? tensor.dtype;
            var size = tensor.numel() * SafetensorsDtypes.ElementSize(type);
            header[name] = new JsonObject
            {
                ["dtype"] = SafetensorsDtypes.Code(type),
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }
        // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
        var headerText = header.ToJsonString();
        headerText += new string(' ', (8 - Encoding.UTF8.GetByteCount(headerText) % 8) % 8);
        var headerBytes = Encoding.UTF8.GetBytes(headerText);

        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        stream.Write(BitConverter.GetBytes((ulong)headerBytes.Length));
        stream.Write(headerBytes);
        foreach (var (_, tensor) in tensors)
        {
            using var scope = torch.NewDisposeScope();
            var cpu = tensor.detach().to(dtype ?? tensor.dtype, torch.CPU).contiguous();
            foreach (var chunk in TensorBytes.Chunks(cpu)) stream.Write(chunk.bytes);
        }
    }

    private static JsonObject ToJson(IReadOnlyDictionary<string, string> values)
    {
        var result = new JsonObject();
        foreach (var (key, value) in values) result[key] = value;
        return result;
    }
}
