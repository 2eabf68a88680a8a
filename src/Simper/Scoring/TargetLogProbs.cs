using Simper.Kernels;
using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Scoring;

/// <summary>
/// The output head and log-softmax at scored positions: log p(target | position) and the sum of the position's
/// vocabulary logits. For bfloat16 weights the head's matmul and the log-softmax run in float32 (float64 for float64
/// models), and only the target's logit and the logsumexp are kept, never an [M, V] log-probability tensor.
/// </summary>
public static class TargetLogProbs
{
    /// <summary>
    /// Positions per chunk of the recomputed head are chosen so that one chunk's logits hold about this many values
    /// (16 MiB in float32): small beside the [M, V] logits of a whole batch, large enough for efficient matmuls.
    /// </summary>
    public const long ChunkValues = 1L << 22;

    /// <summary>
    /// <paramref name="hidden"/> [M, H] final hidden states of the predicting positions, <paramref name="targets"/> [M]
    /// the token each predicts. Returns log-probabilities [M] (with the autograd graph when gradients are enabled) and
    /// logit sums [M] (detached). With the model's gradient checkpointing on, or a frozen head, the head runs in chunks
    /// of positions and keeps no logits for the backward pass (see <see cref="KernelDispatch.ChooseHead"/>); values and
    /// gradients are the same.
    /// </summary>
    public static (Tensor LogProbs, Tensor LogitSums) Compute(LlamaForCausalLM model, Tensor hidden, Tensor targets) =>
        Compute(model, hidden, targets, ChunkRows(model));

    /// <summary><see cref="Compute(LlamaForCausalLM, Tensor, Tensor)"/> with <paramref name="chunkRows"/> positions per recomputed chunk.</summary>
    public static (Tensor LogProbs, Tensor LogitSums) Compute(LlamaForCausalLM model, Tensor hidden, Tensor targets, long chunkRows)
    {
        if (chunkRows < 1) throw new ArgumentOutOfRangeException(nameof(chunkRows), chunkRows, "expected at least one position per chunk");
        return KernelDispatch.TargetLogProbs(hidden, targets, model.OutputWeight, ScoreType(model), chunkRows, model.model.GradientCheckpointing, model.LogitSoftCap);
    }

    /// <summary>float64 for a float64 model, else float32.</summary>
    public static ScalarType ScoreType(LlamaForCausalLM model) =>
        model.Dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    /// <summary>Positions per head chunk: <see cref="ChunkValues"/> / V, at least one.</summary>
    public static long ChunkRows(LlamaForCausalLM model) => Math.Max(1, ChunkValues / model.Config.VocabSize);
}
