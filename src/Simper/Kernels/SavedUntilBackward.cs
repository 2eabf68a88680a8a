using static TorchSharp.torch;

namespace Simper.Kernels;

/// <summary>
/// Tensors a custom autograd node keeps for its backward pass, freed by that pass once it has used them. Saved with
/// ctx.save_for_backward they would live until the whole graph is freed (TorchSharp's custom nodes release their
/// saved variables only then), so a node that keeps large activations holds them through every later node's backward
/// pass. Store this with ctx.save_data instead and dispose it at the end of backward: a node's backward pass runs
/// once, since the trainer never retains a graph. A graph dropped without a backward pass leaves them to the
/// tensors' finalizers.
/// </summary>
internal sealed class SavedUntilBackward : IDisposable
{
    /// <summary>The tensors, out of every dispose scope.</summary>
    public Tensor[] Tensors { get; }

    public SavedUntilBackward(IEnumerable<Tensor> tensors) => Tensors = [.. tensors.Select(t => t.DetachFromDisposeScope())];

    public void Dispose()
    {
        foreach (var tensor in Tensors) tensor.Dispose();
    }
}
