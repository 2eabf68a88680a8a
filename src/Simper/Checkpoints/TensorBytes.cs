using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Checkpoints;

/// <summary>Splits a contiguous CPU tensor into views small enough for a Span&lt;byte&gt; (whose length is an int).</summary>
internal static class TensorBytes
{
    private const long ChunkBytes = 1L << 30;

    /// <summary>Flat views covering the tensor in order; each must be disposed by the caller.</summary>
    public static IEnumerable<Tensor> Chunks(Tensor tensor)
    {
        if (!tensor.is_contiguous() || tensor.device.type != DeviceType.CPU)
            throw new ArgumentException("tensor must be contiguous and on the CPU", nameof(tensor));
        var count = tensor.numel();
        if (count == 0) yield break;
        var perChunk = Math.Max(1, ChunkBytes / tensor.ElementSize);
        using var flat = tensor.view(-1);
        for (long start = 0; start < count; start += perChunk)
            yield return flat.narrow(0, start, Math.Min(perChunk, count - start));
    }
}
