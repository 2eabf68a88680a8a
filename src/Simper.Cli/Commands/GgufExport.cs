using LLama;
using LLama.Native;
using Simper.Export;

namespace Simper.Cli.Commands;

/// <summary>
/// Runs an export: the library writes F32/F16/BF16 bytes itself; Q8_0 tensors are quantized by llama.cpp's
/// ggml_quantize_chunk as the file is written (as convert_hf_to_gguf.py does, rows that are not whole blocks stay
/// F16); Q4_K_M is llama.cpp's own quantizer (LLamaSharp's LLamaQuantizer) run over a written F32 file. Both call
/// llama.cpp, which is why this lives in the CLI and not the library.
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
            // llama_model_quantize has no Q8_0 fallback for rows that are not whole blocks (it stops), and its
            // per-tensor overrides are a C++ std::vector LLamaSharp cannot fill; so Q8_0 is quantized tensor by tensor.
            GgmlQuantizer? quantizer = GgufWriter.BlockSize(type.Written) != null ? GgmlQuantizeChunk.Quantize : null;
            foreach (var note in GgufModelExport.Write(modelDir, output, type.Written, quantizer)) Output.Log($"note: {note}");
            Output.Log($"wrote {output} ({type.Name}{(quantizer != null ? ", quantized by llama.cpp's ggml_quantize_chunk" : "")})");
            return;
        }
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
            if (!LLamaQuantizer.Quantize(intermediate, output, LLamaFtype.MOSTLY_Q4_K_M, nthread: Environment.ProcessorCount))
                throw new SimperException($"{output}: llama.cpp's quantizer failed to write {type.Name}" + (llamaError == null ? "" : $" ({llamaError})"));
            Output.Log($"wrote {output} ({type.Name}, quantized by llama.cpp)");
        }
        finally
        {
            if (File.Exists(intermediate)) File.Delete(intermediate);
        }
    }
}
