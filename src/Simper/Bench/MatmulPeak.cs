using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Bench;

/// <summary>
/// The attainable matmul throughput of this process on its current libtorch threads: the best of several n×n
/// matmuls (float32 unless told otherwise), at 2·n³ FLOPs each. It is the denominator of MFU, measured rather than
/// taken from a data sheet, so a shared or throttled machine is compared with itself. One probe keeps its operands,
/// so that it can be measured again and again between training steps at the cost of the products alone.
/// </summary>
public sealed class MatmulPeak : IDisposable
{
    private readonly Tensor a, b; // [n, n] each
    private readonly int size;

    public MatmulPeak(int size = 2048, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        this.size = size;
        using var generator = new Generator(0, device ?? CPU);
        a = randn([size, size], ScalarType.Float32, device, generator: generator).to(dtype);
        b = randn([size, size], ScalarType.Float32, device, generator: generator).to(dtype);
        Product().Dispose(); // the first product pays for thread start-up
    }

    /// <summary>Best GFLOP/s over <paramref name="repeats"/> timed products.</summary>
    public double Measure(int repeats)
    {
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            using var product = Product();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return 2.0 * size * size * size / best / 1e9;
    }

    public void Dispose()
    {
        a.Dispose();
        b.Dispose();
    }

    private Tensor Product()
    {
        var product = a.matmul(b); // [n, n]
        if (a.device_type == DeviceType.CUDA) cuda.synchronize(); // a GPU product is timed when it is done, not queued
        return product;
    }
}
