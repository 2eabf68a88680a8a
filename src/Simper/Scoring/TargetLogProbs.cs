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
    /// of positions and keeps no logits for the backward pass (see <see cref="HeadCheckpoint"/>); values and gradients
    /// are the same.
    /// </summary>
    public static (Tensor LogProbs, Tensor LogitSums) Compute(LlamaForCausalLM model, Tensor hidden, Tensor targets) =>
        Compute(model, hidden, targets, ChunkRows(model));

    /// <summary><see cref="Compute(LlamaForCausalLM, Tensor, Tensor)"/> with <paramref name="chunkRows"/> positions per recomputed chunk.</summary>
    public static (Tensor LogProbs, Tensor LogitSums) Compute(LlamaForCausalLM model, Tensor hidden, Tensor targets, long chunkRows)
    {
        if (chunkRows < 1) throw new ArgumentOutOfRangeException(nameof(chunkRows), chunkRows, "expected at least one position per chunk");
        var scoreType = ScoreType(model);
        // A frozen head always takes the chunked path: it keeps d log p / d hidden [M, H] instead of the [M, V] logits,
        // which is less memory and less work in the backward pass (see HeadCheckpoint).
        var frozenHead = !model.OutputWeight.requires_grad;
        if ((model.model.GradientCheckpointing || frozenHead) && torch.is_grad_enabled() && hidden.requires_grad)
        {
            var outputs = HeadCheckpoint.apply(hidden, targets, new HeadCheckpoint.Replay(model, scoreType, chunkRows));
            return (outputs[0], outputs[1]);
        }
        using var scope = torch.NewDisposeScope();
        var (logProbs, logitSums) = Score(model, hidden, targets, scoreType);
        return (logProbs.MoveToOuterDisposeScope(), logitSums.MoveToOuterDisposeScope());
    }

    /// <summary>float64 for a float64 model, else float32.</summary>
    public static ScalarType ScoreType(LlamaForCausalLM model) =>
        model.Dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    /// <summary>Positions per head chunk: <see cref="ChunkValues"/> / V, at least one.</summary>
    public static long ChunkRows(LlamaForCausalLM model) => Math.Max(1, ChunkValues / model.Config.VocabSize);

    /// <summary>The head on hidden [M, H]: log-probabilities of targets [M] and (detached) logit sums [M].</summary>
    internal static (Tensor LogProbs, Tensor LogitSums) Score(LlamaForCausalLM model, Tensor hidden, Tensor targets, ScalarType scoreType)
    {
        // The head multiplies the bfloat16 hidden states and weight exactly in float32 and keeps the float32 result
        // (as TRL's cast_lm_head_to_fp32): a bfloat16 GEMM would round every logit to 8 bits (2^-9 of its size)
        // before the log-softmax, an error in the mean log-probs that training then follows. The weight stays bfloat16;
        // its float32 copy lives for this call only. A no-op cast for float32 and float64 models.
        var logits = nn.functional.linear(hidden.to(scoreType), model.OutputWeight.to(scoreType)); // [M, V]
        var (logProbs, logitSums, _) = FromLogits(logits, targets);
        return (logProbs, logitSums);
    }

    /// <summary>
    /// From logits [M, V] and targets [M]: log p(target) [M], the (detached) logit sums [M], and the log-softmax's
    /// normaliser logsumexp [M].
    /// </summary>
    internal static (Tensor LogProbs, Tensor LogitSums, Tensor Normaliser) FromLogits(Tensor logits, Tensor targets)
    {
        var normaliser = logits.logsumexp(-1);                                              // [M]
        var logProbs = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - normaliser;   // [M]
        using var noGrad = torch.no_grad();
        return (logProbs, logits.sum(-1), normaliser);
    }
}
