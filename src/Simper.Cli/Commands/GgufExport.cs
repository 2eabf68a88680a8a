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
        var intermediate = output + ".f32.partial";
        try
        {
            foreach (var note in GgufModelExport.Write(modelDir, intermediate, GgmlType.F32)) Output.Log($"note: {note}");
            var fileType = type.Quantization == "Q8_0" ? LLamaFtype.MOSTLY_Q8_0 : LLamaFtype.MOSTLY_Q4_K_M;
            if (!LLamaQuantizer.Quantize(intermediate, output, fileType, nthread: Environment.ProcessorCount))
                throw new SimperException($"{output}: llama.cpp's quantizer failed to write {type.Name}");
            Output.Log($"wrote {output} ({type.Name}, quantized by llama.cpp)");
        }
        finally
        {
            if (File.Exists(intermediate)) File.Delete(intermediate);
        }
    }
}
