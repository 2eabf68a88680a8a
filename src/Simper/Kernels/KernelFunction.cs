using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Kernels;

/// <summary>
/// A custom autograd node of this folder. Its backward pass shares one preamble, written here once: release the
/// gradients earlier backward calls on this thread returned (<see cref="ReturnedGradients"/>), open a dispose scope
/// for the pass's temporaries, and run without a graph (the node's backward is not itself differentiated; a node that
/// re-runs a graph enables gradients inside). Every gradient <see cref="Gradients"/> returns is handed over through
/// <see cref="ReturnedGradients.Hand"/>, so it outlives the scope; null stands for an input that gets none.
/// </summary>
public abstract class KernelFunction<T> : SingleTensorFunction<T> where T : SingleTensorFunction<T>, new()
{
    public sealed override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput)
    {
        using var pass = BackwardPass.Begin();
        return BackwardPass.Hand(Gradients(ctx, gradOutput));
    }

    /// <summary>One gradient per forward argument (null for none), computed from the output's gradient.</summary>
    protected abstract List<Tensor?> Gradients(AutogradContext ctx, Tensor gradOutput);
}

/// <summary>
/// The backward preamble of <see cref="KernelFunction{T}"/>, also used by <see cref="HeadCheckpoint"/>, the one node
/// with two outputs (TorchSharp's multi-output nodes have another base class).
/// </summary>
internal sealed class BackwardPass : IDisposable
{
    private readonly DisposeScope scope;
    private readonly IDisposable noGrad;

    private BackwardPass()
    {
        scope = NewDisposeScope();
        noGrad = torch.no_grad();
    }

    public static BackwardPass Begin()
    {
        ReturnedGradients.Release();
        return new BackwardPass();
    }

    /// <summary>The gradients handed over out of the pass's scope; null entries stay null.</summary>
    public static List<Tensor> Hand(List<Tensor?> gradients) => [.. gradients.Select(g => g is null ? null! : ReturnedGradients.Hand(g))];

    public void Dispose()
    {
        noGrad.Dispose();
        scope.Dispose();
    }
}
