using LLama;
using LLama.Native;
using Simper.Export;

namespace Simper.Cli.Commands;

/// <summary>
/// Runs an export: the library writes F32/F16/BF16 bytes itself; Q8_0 and Q4_K_M are llama.cpp's own quantizer
/// (LLamaSharp's LLamaQuantizer) run over a written F32 file, which is why this lives in the CLI and not the library.
/// </summary>
internal static class GgufExport
{
    /// <summary>
    /// The end of a training run with --export-gguf: the saved model as model.gguf in the run folder and, when the run
    /// trained a LoRA adapter, that adapter as adapter.gguf against the starting model.
    /// </summary>
    public static void Run(string runFolder, string baseModel, GgufExportType type)
    {
        Model(runFolder, Path.Combine(runFolder, "model.gguf"), type);
        var adapter = Path.Combine(runFolder, Simper.Training.RunFolder.AdapterFolder);
        if (!Directory.Exists(adapter)) return;
        GgufLoraExport.Write(adapter, baseModel, Path.Combine(runFolder, "adapter.gguf"));
        Output.Log($"wrote {Path.Combine(runFolder, "adapter.gguf")} (LoRA adapter of {baseModel})");
    }

    public static void Model(string modelDir, string output, GgufExportType type)
    {
        if (type.Quantization == null)
        {
            foreach (var note in GgufModelExport.Write(modelDir, output, type.Written)) Output.Log($"note: {note}");
            Output.Log($"wrote {output} ({type.Name})");
            return;
        }
        if (type.Quantization == "Q8_0") RefuseRowsQ8Cannot(modelDir);
        var intermediate = output + ".f32.partial";
        string? llamaError = null;
        try
        {
            foreach (var note in GgufModelExport.Write(modelDir, intermediate, GgmlType.F32)) Output.Log($"note: {note}");
            // LLamaQuantizer's first native call is not through NativeApi, whose static constructor selects and loads
            // the native library for this CPU; an empty call runs it first. llama.cpp's log would go to stdout.
            NativeLibraryConfig.All.WithLogCallback((level, message) =>
            {
                if (level == LLamaLogLevel.Error) llamaError = message.Trim();
            });
            NativeApi.llama_empty_call();
            var fileType = type.Quantization == "Q8_0" ? LLamaFtype.MOSTLY_Q8_0 : LLamaFtype.MOSTLY_Q4_K_M;
            if (!LLamaQuantizer.Quantize(intermediate, output, fileType, nthread: Environment.ProcessorCount))
                throw new SimperException($"{output}: llama.cpp's quantizer failed to write {type.Name}" + (llamaError == null ? "" : $" ({llamaError})"));
            Output.Log($"wrote {output} ({type.Name}, quantized by llama.cpp)");
        }
        finally
        {
            if (File.Exists(intermediate)) File.Delete(intermediate);
        }
    }

    /// <summary>
    /// llama.cpp's Q8_0 packs rows in blocks of 32 and, unlike the k-quants, defines no fallback type for a row
    /// that does not divide: its quantizer stops. Said before writing anything, naming the first such weight.
    /// </summary>
    private static void RefuseRowsQ8Cannot(string modelDir)
    {
        using var source = ExportSource.Open(modelDir);
        foreach (var (name, shape) in source.Weights)
            if (shape.Length == 2 && shape[1] % 32 != 0)
                throw new SimperException($"{modelDir}: weight \"{name}\" has rows of {shape[1]} values; llama.cpp's q8_0 needs a multiple of 32 " +
                    "and has no fallback for it (q4_k_m falls back per tensor; f16 and f32 always work)");
    }
}
