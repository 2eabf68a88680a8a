using System.Reflection;
using System.Runtime.CompilerServices;
using Simper.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests;

// In the collection that runs alone: another test's allocations on other threads start collections of their own in
// the middle of this one's, which moves its Scalars out of the youngest generation before the step's collection.
[Collection(nameof(ProcessMemoryTests))]
public class RuntimeTests
{
    [Fact]
    public void LibTorchLoadsAndMultipliesMatrices()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        using var b = tensor(new float[] { 5, 6, 7, 8 }, [2, 2]);
        using var c = matmul(a, b);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.data<float>().ToArray());
    }

    [Fact]
    public void StepGarbageCollectionFreesTheScalarsOpsLeftBehind()
    {
        // x * 0.5 turns 0.5 into a Scalar holding a native allocation that nothing but its finalizer frees. The runtime
        // may collect on its own (other tests allocate in parallel) before the step's collection: such a try proves
        // nothing and is repeated.
        var live = new List<int>();
        for (var attempt = 0; attempt < 5 && live.LastOrDefault(-1) != 0; attempt++)
        {
            var scalars = ScalarsLeftToTheCollector(1000);
            if (scalars.Any(s => s.Target is not Scalar scalar || NativeHandle(scalar) == IntPtr.Zero)) continue;
            Simper.Kernels.StepGarbage.Collect();
            // A resurrection-tracking reference still reaches a finalized Scalar, whose native handle is then zero.
            live.Add(scalars.Count(s => s.Target is Scalar scalar && NativeHandle(scalar) != IntPtr.Zero));
        }
        Assert.NotEmpty(live);
        Assert.Equal(0, live[^1]);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<WeakReference> ScalarsLeftToTheCollector(int count)
    {
        var references = new List<WeakReference>();
        using var x = ones(4);
        for (var i = 0; i < count; i++)
        {
            Scalar half = 0.5;
            x.mul(half).Dispose();
            references.Add(new WeakReference(half, trackResurrection: true));
        }
        return references;
    }

    private static IntPtr NativeHandle(Scalar scalar) =>
        (IntPtr)typeof(Scalar).GetField("handle", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(scalar)!;
}
