using static TorchSharp.torch;

namespace Simper.Checkpoints;

/// <summary>
/// The tensors of a model folder that it stores at more precision than the model was loaded in (float32 or float64
/// weights of a checkpoint loaded as bfloat16 or float16), read one at a time as float32. A low-precision run's float32
/// master weights start from them, so the masters keep the low bits the loaded model lost to rounding.
/// </summary>
public sealed class FullPrecisionWeights : IDisposable
{
    private readonly IReadOnlyList<SafetensorsReader> readers;
    private readonly Dictionary<string, SafetensorsReader> byName;

    private FullPrecisionWeights(IReadOnlyList<SafetensorsReader> readers)
    {
        this.readers = readers;
        byName = readers
            .SelectMany(r => r.Entries.Values.Where(e => e.Dtype is ScalarType.Float32 or ScalarType.Float64).Select(e => (e.Name, Reader: r)))
            .ToDictionary(e => e.Name, e => e.Reader);
    }

    /// <summary>Names of the tensors stored at full precision.</summary>
    public int Count => byName.Count;

    /// <summary>
    /// The full-precision tensors of <paramref name="dir"/> for a model loaded as <paramref name="loadedAs"/>; null when
    /// that dtype is itself full precision or the folder stores no full-precision tensor (a bfloat16 checkpoint).
    /// </summary>
    public static FullPrecisionWeights? Open(string dir, ScalarType loadedAs)
    {
        if (loadedAs is not (ScalarType.BFloat16 or ScalarType.Float16)) return null;
        var readers = new List<SafetensorsReader>();
        try
        {
            foreach (var file in PretrainedModel.WeightFiles(dir)) readers.Add(SafetensorsReader.Open(file));
        }
        catch
        {
            foreach (var r in readers) r.Dispose();
            throw;
        }
        var weights = new FullPrecisionWeights(readers);
        if (weights.Count > 0) return weights;
        weights.Dispose();
        return null;
    }

    /// <summary>The tensor as a new float32 CPU tensor (the caller disposes it), or null when it is not stored at full precision.</summary>
    public Tensor? Read(string name)
    {
        if (!byName.TryGetValue(name, out var reader)) return null;
        using var stored = reader.Read(name);
        return stored.to(ScalarType.Float32, copy: true);
    }

    public void Dispose()
    {
        foreach (var r in readers) r.Dispose();
    }
}
