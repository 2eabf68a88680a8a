using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Kernels;

/// <summary>
/// A residual sum x + update whose values are already known: the forward pass returns the saved sum and computes
/// nothing, the backward pass is the sum's (the gradient goes to x and to update unchanged). Lets a checkpointed
/// layer's replay rebuild the graph behind a residual without computing the update's values.
/// </summary>
internal sealed class SavedResidual : SingleTensorFunction<SavedResidual>
{
    public override string Name => nameof(SavedResidual);

    /// <summary>x and update [B, T, H] as graph inputs, sum [B, T, H] their saved sum; returns sum's values in x's graph.</summary>
    public static Tensor Run(Tensor x, Tensor update, Tensor sum) => apply(x, update, sum.detach());

    public override Tensor forward(AutogradContext ctx, params object[] vars) => ((Tensor)vars[2]).clone();

    // One gradient per forward argument: x's and the update's are the sum's own; the saved values get none.
    public override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput) => [gradOutput, gradOutput, null!];
}
