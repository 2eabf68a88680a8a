using static TorchSharp.torch;

namespace Simper.Checkpoints;

/// <summary>The safetensors dtype codes this runtime reads and writes, with their element sizes.</summary>
public static class SafetensorsDtypes
{
    private static readonly Dictionary<string, (ScalarType Type, int Size)> ByCode = new()
    {
        ["F64"] = (ScalarType.Float64, 8),
        ["F32"] = (ScalarType.Float32, 4),
        ["BF16"] = (ScalarType.BFloat16, 2),
        ["F16"] = (ScalarType.Float16, 2),
        ["I64"] = (ScalarType.Int64, 8),
        ["I32"] = (ScalarType.Int32, 4),
    };

    public static bool TryParse(string code, out ScalarType type, out int elementSize)
    {
        var found = ByCode.TryGetValue(code, out var entry);
        (type, elementSize) = entry;
        return found;
    }

    public static string Supported => string.Join(", ", ByCode.Keys);

    public static string Code(ScalarType type) =>
        ByCode.FirstOrDefault(kv => kv.Value.Type == type).Key
        ?? throw new ArgumentException($"dtype {type} cannot be stored in safetensors by this runtime", nameof(type));

    public static int ElementSize(ScalarType type) => ByCode[Code(type)].Size;
}
