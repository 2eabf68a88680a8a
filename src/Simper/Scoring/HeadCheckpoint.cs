using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Scoring;

/// <summary>
/// Gradient checkpointing of the output head and log-softmax, chunked over positions (as Liger's and torchtune's
/// chunked cross-entropy): the forward pass runs chunk by chunk without a graph and keeps only the hidden states; the
/// backward pass recomputes each chunk's logits with gradients enabled and back-propagates through them alone, which
/// accumulates the head weight's gradient and yields the hidden states'. At no time does a whole batch's [M, V] logits
/// tensor exist, so the head's memory is one chunk's whatever the batch.
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
        ctx.save_for_backward([hidden, targets]);
        ctx.save_data(nameof(Replay), replay);
        // The logit sums never get a gradient; with materialised gradients TorchSharp would build zeros for them from
        // a template tensor that belongs to the caller's dispose scope, which is gone by the backward pass.
        ctx.set_materialize_grads(false);
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
        var replay = (Replay)ctx.get_data(nameof(Replay));
        using var scope = torch.NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var (hidden, targets) = (saved[0], saved[1]); // [M, H], [M]
        var gradient = gradOutputs[0];              // [M], undefined when the loss does not use the log-probabilities
        if (gradient.IsInvalid) return [null!, null!, null!];
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
        return [inputGrad.MoveToOuterDisposeScope(), null!, null!];
    }

    /// <summary>Consecutive row ranges of at most <paramref name="chunkRows"/>; one empty range when there are no rows.</summary>
    private static IEnumerable<(long Start, long Length)> Chunks(long rows, long chunkRows)
    {
        long start = 0;
        do
        {
            yield return (start, Math.Min(chunkRows, rows - start));
            start += chunkRows;
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
