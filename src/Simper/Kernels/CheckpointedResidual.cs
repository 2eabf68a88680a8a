using static TorchSharp.torch;

namespace Simper.Kernels;

/// <summary>
/// The attention residual h = x + attn(norm(x)) [B, T, H] of a layer under gradient checkpointing. The forward pass
/// records h's values (a handle of their own, freed by <see cref="Dispose"/>); the replay rebuilds the graph behind
/// them with <see cref="SavedResidual"/>, so the attention's output projection, whose values only h reads, need not be
/// computed again. The MLP's output is read by nothing in the replay either, so the replay computes neither product.
/// </summary>
public sealed class CheckpointedResidual : IDisposable
{
    private Tensor? values;

    /// <summary>x + update [B, T, H]: computed and recorded (<paramref name="replay"/> false), or the recorded values in x's graph.</summary>
    internal Tensor Add(Tensor x, Tensor update, bool replay)
    {
        if (replay) return SavedResidual.Run(x, update, values ?? throw new InvalidOperationException("a checkpoint replay before its forward pass"));
        var sum = x + update;
        values?.Dispose();
        values = sum.alias().DetachFromDisposeScope(); // the storage is shared, not copied
        return sum;
    }

    public void Dispose()
    {
        values?.Dispose();
        values = null;
    }
}
