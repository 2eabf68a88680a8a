namespace Simper.Kernels;

/// <summary>What a training step leaves behind for the garbage collector and this folder's nodes.</summary>
public static class StepGarbage
{
    /// <summary>
    /// Frees what TorchSharp leaves to the garbage collector, once a training step's tensors are gone. Every number
    /// handed to an op (x * 0.5, addmm's alpha) becomes a Scalar, a small C++ allocation that only its finalizer
    /// frees: no dispose scope tracks Scalars. The collector, which cannot see native memory, may let thousands of
    /// them pile up over many steps, scattered through the C heap between the large blocks the step's tensors
    /// freed; the heap then cannot reuse those blocks and grows instead, by hundreds of MiB a step with LoRA's many
    /// scaled products, and every new page costs a page fault. A young-generation collection per step keeps the
    /// heap the size of one step. It costs well under a millisecond. The last gradients a custom autograd function
    /// returned (<see cref="ReturnedGradients"/>) are released first.
    /// </summary>
    public static void Collect()
    {
        ReturnedGradients.Release();
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();
    }
}
