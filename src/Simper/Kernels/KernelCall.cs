namespace Simper.Kernels;

/// <summary>
/// What one forward pass tells <see cref="KernelDispatch"/> besides the tensors: the model's kernel options and, in a
/// layer under gradient checkpointing, the checkpoint's <see cref="Residual"/> and whether this is its replay. Passed
/// down explicitly from the model to each module, so no kernel is chosen by per-thread state.
/// </summary>
/// <param name="Options">the model's choice of native or float32 bfloat16 kernels</param>
/// <param name="Replay">
/// whether this is gradient checkpointing's replay of a layer: its outputs are read by nothing but the backward pass
/// that follows at once, so projections that feed only the residual stream skip their forward GEMM and 16-bit
/// attention keeps its float32 graph rather than recomputing it in the backward pass
/// </param>
/// <param name="Residual">the checkpointed layer's attention residual, recorded by its forward pass and reused by its replay</param>
public sealed record KernelCall(KernelOptions Options, bool Replay = false, CheckpointedResidual? Residual = null)
{
    /// <summary>This CPU's default options, outside gradient checkpointing.</summary>
    public static KernelCall Default { get; } = new(KernelOptions.ForThisCpu);
}
