using static TorchSharp.torch;

namespace Simper.Kernels;

/// <summary>
/// Frees the gradients custom autograd functions hand back as soon as libtorch has taken them. A backward pass
/// returns managed tensors whose handles libtorch copies when the call returns; a handle moved to the caller's
/// dispose scope would keep the storage alive until the training step ends, so every node's input gradient would
/// outlive its use and, late in a backward pass, add up to several activations' worth of memory. Instead
/// <see cref="Hand"/> keeps the handle only until the next custom backward call on this thread (or the step's end,
/// <see cref="Release"/>), by which time libtorch holds its own reference.
/// </summary>
internal static class ReturnedGradients
{
    [ThreadStatic] private static List<Tensor>? pending;

    /// <summary>Releases the gradients earlier backward calls on this thread returned: call first in a backward pass.</summary>
    public static void Release()
    {
        if (pending is null) return;
        foreach (var t in pending) t.Dispose();
        pending.Clear();
    }

    /// <summary><paramref name="gradient"/>, out of every dispose scope, to be released by the next <see cref="Release"/>.</summary>
    public static Tensor Hand(Tensor gradient)
    {
        (pending ??= []).Add(gradient.DetachFromDisposeScope());
        return gradient;
    }
}
