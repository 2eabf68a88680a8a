using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Kernels;

/// <summary>
/// Gradient checkpointing of the output head and log-softmax, chunked over positions (as Liger's and torchtune's
/// chunked cross-entropy): the forward pass runs chunk by chunk without a graph, so at no time does a whole batch's
/// [M, V] logits tensor exist and the head's memory is one chunk's whatever the batch.
/// A trained head keeps only the hidden states; the backward pass recomputes each chunk's logits with gradients
/// enabled and back-propagates through them alone, which accumulates the head weight's gradient and yields the hidden
/// states'. A frozen head (LoRA's) needs no weight gradient, and the hidden states' has a closed form: the derivative
/// of log p(target) by hidden state h is W[target] − softmax(h Wᵀ) W, an [H] vector per position. The forward pass
/// computes it from the chunk's logits while it has them and keeps that [M, H] instead of the hidden states; the
/// backward pass scales it by each position's incoming gradient. One product of the head fewer than a recompute
/// (the logits' own), and the same memory.
/// </summary>
internal sealed class HeadCheckpoint : MultiTensorFunction<HeadCheckpoint>
{
    public override string Name => nameof(HeadCheckpoint);

    /// <summary>What the head needs besides the hidden states and targets: its weight [V, H], the score dtype and the chunking.</summary>
    public sealed record Replay(Tensor Weight, ScalarType ScoreType, long ChunkRows, double? SoftCap = null);

    /// <summary>
    /// vars: hidden [M, H], target ids [M], <see cref="Replay"/>. Returns log-probabilities [M] and detached logit sums [M].
    /// </summary>
    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        var (hidden, targets, replay) = ((Tensor)vars[0], (Tensor)vars[1], (Replay)vars[2]);
        ctx.save_data(nameof(Replay), replay);
        // The logit sums never get a gradient; with materialised gradients TorchSharp would build zeros for them from
        // a template tensor that belongs to the caller's dispose scope, which is gone by the backward pass.
        ctx.set_materialize_grads(false);
        if (!replay.Weight.requires_grad) return FrozenHeadForward(ctx, hidden, targets, replay);
        ctx.save_for_backward([hidden, targets]);
        var logProbs = new List<Tensor>();
        var logitSums = new List<Tensor>();
        using (var scope = torch.NewDisposeScope())
        {
            foreach (var (start, length) in Chunks(hidden.size(0), replay.ChunkRows))
            {
                var (lp, sums) = Score(replay.Weight, hidden.narrow(0, start, length), targets.narrow(0, start, length), replay.ScoreType, replay.SoftCap);
                logProbs.Add(lp.MoveToOuterDisposeScope());
                logitSums.Add(sums.MoveToOuterDisposeScope());
            }
        }
        var logitSum = Join(logitSums); // [M]
        ctx.mark_non_differentiable([logitSum]);
        return [Join(logProbs), logitSum];
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        using var pass = BackwardPass.Begin();
        var replay = (Replay)ctx.get_data(nameof(Replay));
        var saved = ctx.get_saved_variables();
        var gradient = gradOutputs[0];              // [M], undefined when the loss does not use the log-probabilities
        if (gradient.IsInvalid) return [null!, null!, null!];
        if (saved.Count == 1)                       // a frozen head: saved[0] holds d log p / d hidden [M, H]
            return BackwardPass.Hand([(saved[0] * gradient.unsqueeze(1)).to((ScalarType)ctx.get_data(nameof(ScalarType))), null, null]);
        var (hidden, targets) = (saved[0], saved[1]); // [M, H], [M]
        var inputGrad = torch.empty_like(hidden);   // [M, H]
        foreach (var (start, length) in Chunks(hidden.size(0), replay.ChunkRows))
        {
            using var chunkScope = torch.NewDisposeScope();
            using var grad = torch.enable_grad();
            var input = hidden.narrow(0, start, length).detach().requires_grad_(true); // [C, H]
            var (lp, _) = Score(replay.Weight, input, targets.narrow(0, start, length), replay.ScoreType, replay.SoftCap);
            torch.autograd.backward([lp], [gradient.narrow(0, start, length)]);
            using var noGrad = torch.no_grad();
            inputGrad.narrow(0, start, length).copy_(input.grad!);
        }
        // One gradient per forward argument: the hidden states', none for the target ids and the replay description.
        return BackwardPass.Hand([inputGrad, null, null]);
    }

    /// <summary>
    /// The forward pass for a frozen head: log-probabilities and logit sums as <see cref="Score"/> gives
    /// them (through the same <see cref="FromLogits"/>), and, saved for the backward pass, the derivative
    /// of each log-probability by its hidden state.
    /// </summary>
    private static List<Tensor> FrozenHeadForward(AutogradContext ctx, Tensor hidden, Tensor targets, Replay replay)
    {
        var (rows, size) = (hidden.size(0), hidden.size(1));
        var slopes = torch.empty(rows, size, dtype: replay.ScoreType, device: hidden.device); // [M, H]
        var logProbs = torch.empty(rows, dtype: replay.ScoreType, device: hidden.device);     // [M]
        var logitSums = torch.empty(rows, dtype: replay.ScoreType, device: hidden.device);    // [M]
        using (var scope = torch.NewDisposeScope())
        using (torch.no_grad())
        {
            var weight = replay.Weight.to(replay.ScoreType); // [V, H], widened once for all chunks
            foreach (var (start, length) in Chunks(rows, replay.ChunkRows))
            {
                using var chunkScope = torch.NewDisposeScope();
                var target = targets.narrow(0, start, length);                                          // [C]
                var logits = SoftCapped(nn.functional.linear(hidden.narrow(0, start, length).to(replay.ScoreType), weight), replay.SoftCap); // [C, V]
                var (chunkLogProbs, chunkLogitSums, normaliser) = FromLogits(logits, target);      // [C] each
                logProbs.narrow(0, start, length).copy_(chunkLogProbs);
                logitSums.narrow(0, start, length).copy_(chunkLogitSums);
                if (replay.SoftCap is { } cap)
                {
                    // Capped logits c = cap · tanh(z / cap) have dc/dz = 1 − (c / cap)²: the slope weighs each row of W by it.
                    var slope = logits.div(cap).square().neg_().add_(1);                                   // [C, V]
                    var probabilities = logits.sub(normaliser.unsqueeze(-1)).exp_().mul_(slope);            // [C, V]
                    var targetRows = weight.index_select(0, target).mul_(slope.gather(-1, target.unsqueeze(-1)));
                    slopes.narrow(0, start, length).copy_(torch.addmm(targetRows, probabilities, weight, beta: 1, alpha: -1));
                }
                else
                {
                    var probabilities = logits.sub_(normaliser.unsqueeze(-1)).exp_();                   // [C, V] softmax, in place
                    // W[target] − softmax · W: the gradient of log p(target) by the hidden state.
                    slopes.narrow(0, start, length).copy_(torch.addmm(weight.index_select(0, target), probabilities, weight, beta: 1, alpha: -1));
                }
            }
        }
        ctx.save_for_backward([slopes]);
        ctx.save_data(nameof(ScalarType), hidden.dtype);
        ctx.mark_non_differentiable([logitSums]);
        return [logProbs, logitSums];
    }

    /// <summary>
    /// Consecutive row ranges of at most <paramref name="chunkRows"/>, as few as that allows and of even sizes (576 rows
    /// by 512 give 288 and 288, not 512 and a slow 64); one empty range when there are no rows.
    /// </summary>
    internal static IEnumerable<(long Start, long Length)> Chunks(long rows, long chunkRows)
    {
        var count = Math.Max(1, (rows + chunkRows - 1) / chunkRows);
        var size = Math.Max(1, (rows + count - 1) / count);
        long start = 0;
        do
        {
            yield return (start, Math.Min(size, rows - start));
            start += size;
        } while (start < rows);
    }

    /// <summary>The head on hidden [M, H]: log-probabilities of targets [M] and (detached) logit sums [M].</summary>
    /// <summary>Gemma's final soft-capping, cap · tanh(logits / cap), or the logits themselves without a cap.</summary>
    internal static Tensor SoftCapped(Tensor logits, double? cap)
    {
        if (cap is not { } c) return logits;
        using var scaled = logits.div(c);
        using var bent = scaled.tanh();
        return bent.mul(c);
    }

    internal static (Tensor LogProbs, Tensor LogitSums) Score(Tensor weight, Tensor hidden, Tensor targets, ScalarType scoreType, double? softCap = null)
    {
        // The head multiplies the bfloat16 hidden states and weight exactly in float32 and keeps the float32 result
        // (as TRL's cast_lm_head_to_fp32): a bfloat16 GEMM would round every logit to 8 bits (2^-9 of its size)
        // before the log-softmax, an error in the mean log-probs that training then follows. The weight stays bfloat16;
        // its float32 copy lives for this call only. A no-op cast for float32 and float64 models.
        var logits = SoftCapped(nn.functional.linear(hidden.to(scoreType), weight.to(scoreType)), softCap); // [M, V]
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

    private static Tensor Join(List<Tensor> chunks)
    {
        if (chunks.Count == 1) return chunks[0];
        var joined = torch.cat(chunks, 0);
        foreach (var c in chunks) c.Dispose();
        return joined;
    }
}
