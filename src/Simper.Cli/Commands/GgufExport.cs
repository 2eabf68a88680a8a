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
