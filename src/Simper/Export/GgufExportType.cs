namespace Simper.Export;

/// <summary>
/// An export type of <c>--type</c>: f32, f16 and bf16 are written directly; q8_0 and q4_k_m are llama.cpp's own
/// quantizations of a written F32 file (<see cref="Quantization"/> names the llama.cpp file type).
/// </summary>
public sealed record GgufExportType(string Name, GgmlType Written, string? Quantization)
{
    public static readonly IReadOnlyList<GgufExportType> All =
    [
        new("f32", GgmlType.F32, null), new("f16", GgmlType.F16, null), new("bf16", GgmlType.BF16, null),
        new("q8_0", GgmlType.F32, "Q8_0"), new("q4_k_m", GgmlType.F32, "Q4_K_M"),
    ];

    public static GgufExportType Parse(string name, string option = "--type") =>
        All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new SimperException($"{option}: \"{name}\" is not an export type; expected one of {string.Join(", ", All.Select(t => t.Name))}");

    /// <summary>general.file_type of a directly written file (llama_ftype: ALL_F32 0, MOSTLY_F16 1, MOSTLY_BF16 32).</summary>
    internal static uint FileType(GgmlType type) => type switch { GgmlType.F16 => 1u, GgmlType.BF16 => 32u, _ => 0u };
}
