using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>The dtype names Hugging Face writes in config.json (torch_dtype), their TorchSharp types, and the precision 16-bit weights widen to.</summary>
public static class DtypeNames
{
    public static ScalarType Parse(string name, string where) => name switch
    {
        "float32" => ScalarType.Float32,
        "bfloat16" => ScalarType.BFloat16,
        "float16" => ScalarType.Float16,
        "float64" => ScalarType.Float64,
        _ => throw new SimperException($"{where} is \"{name}\"; expected float32, bfloat16, float16 or float64"),
    };

    public static string Name(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        ScalarType.Float64 => "float64",
        _ => throw new ArgumentException($"{dtype} is not a floating-point weight dtype", nameof(dtype)),
    };

    /// <summary>float32 for a 16-bit dtype, the dtype itself otherwise: where sums and updates of 16-bit weights are kept.</summary>
    public static ScalarType Widened(ScalarType dtype) =>
        dtype is ScalarType.BFloat16 or ScalarType.Float16 ? ScalarType.Float32 : dtype;
}
