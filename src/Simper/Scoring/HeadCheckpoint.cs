using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Scoring;

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

    /// <summary>What the head needs besides the hidden states and targets: the model and the chunking.</summary>
    public sealed record Replay(LlamaForCausalLM Model, ScalarType ScoreType, long ChunkRows);

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
        if (!replay.Model.OutputWeight.requires_grad) return FrozenHeadForward(ctx, hidden, targets, replay);
        ctx.save_for_backward([hidden, targets]);
        var logProbs = new List<Tensor>();
        var logitSums = new List<Tensor>();
        using (var scope = torch.NewDisposeScope())
        {
            foreach (var (start, length) in Chunks(hidden.size(0), replay.ChunkRows))
            {
                var (lp, sums) = TargetLogProbs.Score(replay.Model, hidden.narrow(0, start, length), targets.narrow(0, start, length), replay.ScoreType);
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
        ReturnedGradients.Release();
        var replay = (Replay)ctx.get_data(nameof(Replay));
        using var scope = torch.NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var gradient = gradOutputs[0];              // [M], undefined when the loss does not use the log-probabilities
        if (gradient.IsInvalid) return [null!, null!, null!];
        if (saved.Count == 1)                       // a frozen head: saved[0] holds d log p / d hidden [M, H]
            return [ReturnedGradients.Hand((saved[0] * gradient.unsqueeze(1)).to((ScalarType)ctx.get_data(nameof(ScalarType)))), null!, null!];
        var (hidden, targets) = (saved[0], saved[1]); // [M, H], [M]
        var inputGrad = torch.empty_like(hidden);   // [M, H]
        foreach (var (start, length) in Chunks(hidden.size(0), replay.ChunkRows))
        {
            using var chunkScope = torch.NewDisposeScope();
            using var grad = torch.enable_grad();
            var input = hidden.narrow(0, start, length).detach().requires_grad_(true); // [C, H]
            var (lp, _) = TargetLogProbs.Score(replay.Model, input, targets.narrow(0, start, length), replay.ScoreType);
            torch.autograd.backward([lp], [gradient.narrow(0, start, length)]);
            using var noGrad = torch.no_grad();
            inputGrad.narrow(0, start, length).copy_(input.grad!);
        }
        // One gradient per forward argument: the hidden states', none for the target ids and the replay description.
        return [ReturnedGradients.Hand(inputGrad), null!, null!];
    }

    /// <summary>
    /// The forward pass for a frozen head: log-probabilities and logit sums as <see cref="TargetLogProbs.Score"/> gives
    /// them (through the same <see cref="TargetLogProbs.FromLogits"/>), and, saved for the backward pass, the derivative
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
            var weight = replay.Model.OutputWeight.to(replay.ScoreType); // [V, H], widened once for all chunks
            foreach (var (start, length) in Chunks(rows, replay.ChunkRows))
            {
                using var chunkScope = torch.NewDisposeScope();
                var target = targets.narrow(0, start, length);                                          // [C]
                var logits = nn.functional.linear(hidden.narrow(0, start, length).to(replay.ScoreType), weight); // [C, V]
                var (chunkLogProbs, chunkLogitSums, normaliser) = TargetLogProbs.FromLogits(logits, target);      // [C] each
                logProbs.narrow(0, start, length).copy_(chunkLogProbs);
                logitSums.narrow(0, start, length).copy_(chunkLogitSums);
                var probabilities = logits.sub_(normaliser.unsqueeze(-1)).exp_();                       // [C, V] softmax, in place
                // W[target] − softmax · W: the gradient of log p(target) by the hidden state.
                slopes.narrow(0, start, length).copy_(torch.addmm(weight.index_select(0, target), probabilities, weight, beta: 1, alpha: -1));
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

    private static Tensor Join(List<Tensor> chunks)
    {
        if (chunks.Count == 1) return chunks[0];
        var joined = torch.cat(chunks, 0);
        foreach (var c in chunks) c.Dispose();
        return joined;
    }
}
