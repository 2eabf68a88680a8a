namespace Simper.Export;

/// <summary>
/// An export type of <c>--type</c>: f32, f16 and bf16 are written directly; q8_0 is written tensor by tensor with
/// llama.cpp's Q8_0 code as the quantizer, as convert_hf_to_gguf.py does; q4_k_m is llama.cpp's own quantization of a
/// written F32 file (<see cref="Quantization"/> names the llama.cpp file type).
/// </summary>
public sealed record GgufExportType(string Name, GgmlType Written, string? Quantization)
{
    public static readonly IReadOnlyList<GgufExportType> All =
    [
        new("f32", GgmlType.F32, null), new("f16", GgmlType.F16, null), new("bf16", GgmlType.BF16, null),
        new("q8_0", GgmlType.Q8_0, null), new("q4_k_m", GgmlType.F32, "Q4_K_M"),
    ];

    public static GgufExportType Parse(string name, string option = "--type") =>
        All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new SimperException($"{option}: \"{name}\" is not an export type; expected one of {string.Join(", ", All.Select(t => t.Name))}");

    /// <summary>general.file_type of a directly written file (llama_ftype: ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q8_0 7, MOSTLY_BF16 32).</summary>
    internal static uint FileType(GgmlType type) => type switch { GgmlType.F16 => 1u, GgmlType.Q8_0 => 7u, GgmlType.BF16 => 32u, _ => 0u };

    /// <summary>general.quantization_version: ggml's GGML_QNT_VERSION, the block layout quantized tensors are in.</summary>
    internal const uint QuantizationVersion = 2;
}
