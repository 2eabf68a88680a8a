using System.Diagnostics;
using static TorchSharp.torch;

namespace Simper.Bench;

/// <summary>
/// The attainable matmul throughput of this process on its current libtorch threads: the best of several n×n
/// float32 matmuls, at 2·n³ FLOPs each. It is the denominator of MFU, measured rather than taken from a data sheet,
/// so a shared or throttled machine is compared with itself.
/// </summary>
public static class MatmulPeak
{
    /// <summary>Best GFLOP/s over <paramref name="repeats"/> timed products (after one untimed one).</summary>
    public static double GigaflopsPerSecond(int size = 2048, int repeats = 5, Device? device = null)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(0, device ?? CPU);
        var a = randn([size, size], ScalarType.Float32, device, generator: generator);
        var b = randn([size, size], ScalarType.Float32, device, generator: generator);
        a.matmul(b).Dispose(); // the first product pays for thread start-up
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            using var product = a.matmul(b); // [n, n]
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return 2.0 * size * size * size / best / 1e9;
    }
}
