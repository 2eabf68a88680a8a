using System.Runtime.InteropServices;
using LLama.Native;
using Simper.Export;

namespace Simper.Cli.Commands;

/// <summary>
/// llama.cpp's own row quantizer, ggml_quantize_chunk, from the ggml-base library LLamaSharp.Backend.Cpu ships: the
/// export writes its Q8_0 tensors with it rather than with a quantizer of ours. LLamaSharp binds no ggml function, so
/// the export is looked up in the copy of ggml-base that llama.cpp's loader has already brought into the process.
/// </summary>
internal static unsafe class GgmlQuantizeChunk
{
    private static readonly object Setup = new();
    private static delegate* unmanaged<uint, float*, byte*, long, long, long, float*, nuint> _quantizeChunk;

    /// <summary>A <see cref="GgmlQuantizer"/>: the rows quantized to <paramref name="type"/> by ggml.</summary>
    public static byte[] Quantize(GgmlType type, float[] rows, long rowLength)
    {
        var quantize = Function();
        var block = GgufWriter.BlockSize(type) ?? throw new ArgumentOutOfRangeException(nameof(type));
        var rowCount = rows.LongLength / rowLength;
        var bytes = new byte[rows.LongLength / block * GgufWriter.BlockBytes(type)];
        fixed (float* source = rows)
        fixed (byte* target = bytes)
        {
            var written = quantize((uint)type, source, target, 0, rowCount, rowLength, null);
            if ((long)written != bytes.LongLength)
                throw new InvalidOperationException($"ggml_quantize_chunk wrote {written} bytes for {rowCount} rows of {rowLength}, expected {bytes.LongLength}");
        }
        return bytes;
    }

    private static delegate* unmanaged<uint, float*, byte*, long, long, long, float*, nuint> Function()
    {
        lock (Setup)
        {
            if (_quantizeChunk != null) return _quantizeChunk;
            // NativeApi's static constructor selects and loads llama.cpp for this CPU, and with it ggml-base; loading
            // ggml-base by its bare name then returns that same, already loaded library.
            NativeApi.llama_empty_call();
            string[] names = OperatingSystem.IsWindows() ? ["ggml-base.dll"]
                : OperatingSystem.IsMacOS() ? ["libggml-base.dylib"] : ["libggml-base.so"];
            foreach (var name in names)
                if (NativeLibrary.TryLoad(name, out var library) && NativeLibrary.TryGetExport(library, "ggml_quantize_chunk", out var address))
                    return _quantizeChunk = (delegate* unmanaged<uint, float*, byte*, long, long, long, float*, nuint>)address;
            throw new SimperException($"llama.cpp's ggml-base library ({string.Join(", ", names)}) was not found loaded; q8_0 needs its ggml_quantize_chunk");
        }
    }
}
