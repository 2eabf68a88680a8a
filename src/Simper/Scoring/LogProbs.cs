using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Scoring;

/// <summary>Per-sequence response log-probabilities; tensors keep the autograd graph when gradients are enabled.</summary>
public sealed class SequenceLogProbs(Tensor perToken, Tensor sum, Tensor count, Tensor logitSum) : IDisposable
{
    /// <summary>[B, T-1] float32 (float64 for a float64 model): log p(token t+1 | tokens ≤ t), zero where token t+1 is not a response token.</summary>
    public Tensor PerToken { get; } = perToken;
    /// <summary>[B]: summed response log-probability.</summary>
    public Tensor Sum { get; } = sum;
    /// <summary>[B]: number of response tokens scored.</summary>
    public Tensor Count { get; } = count;
    /// <summary>[B]: sum of all vocabulary logits at the scored positions (detached).</summary>
    public Tensor LogitSum { get; } = logitSum;

    /// <summary>[B]: average response log-probability per token.</summary>
    public Tensor Mean() => Sum / Count.clamp_min(1);

    /// <summary>
    /// Mean logit over the scored positions and the vocabulary of the given rows taken together — TRL's
    /// logits/chosen and logits/rejected metrics.
    /// </summary>
    public double MeanLogit(long vocabSize, Tensor? rows = null)
    {
        using var scope = torch.NewDisposeScope();
        var sums = rows is null ? LogitSum : LogitSum.index_select(0, rows);
        var counts = rows is null ? Count : Count.index_select(0, rows);
        var tokens = counts.sum().to(ScalarType.Float64).item<double>();
        return tokens == 0 ? double.NaN : sums.sum().to(ScalarType.Float64).item<double>() / (tokens * vocabSize);
    }

    public void Dispose()
    {
        PerToken.Dispose();
        Sum.Dispose();
        Count.Dispose();
        LogitSum.Dispose();
    }
}

/// <summary>Scores response tokens under a model.</summary>
public static class LogProbs
{
    /// <summary>
    /// Runs the model over the batch and returns the log-probability of every response token given everything
    /// before it, through <see cref="TargetLogProbs"/> (float32 log-softmax for bfloat16 weights, no second [B, T, V]
    /// tensor, the head recomputed chunk-wise under gradient checkpointing).
    /// </summary>
    public static SequenceLogProbs Compute(LlamaForCausalLM model, SequenceBatch batch)
    {
        using var scope = torch.NewDisposeScope();
        var (B, T) = (batch.BatchSize, batch.Length);
        var hidden = model.HiddenStates(batch.InputIds, attentionMask: batch.AttentionMask); // [B, T, H]
        // Position t predicts token t+1; the last position predicts nothing.
        var predicting = hidden[.., ..(int)(T - 1)].reshape(-1, hidden.size(-1));            // [B*(T-1), H]
        var labels = batch.InputIds[.., 1..].reshape(-1);                                     // [B*(T-1)]
        var mask = batch.ResponseMask[.., 1..].to(TargetLogProbs.ScoreType(model));          // [B, T-1]
        var (logProbs, logitSums) = TargetLogProbs.Compute(model, predicting, labels);        // [B*(T-1)] each
        var perToken = logProbs.view(B, T - 1) * mask;                                        // [B, T-1]
        Tensor logitSum;
        using (torch.no_grad()) logitSum = (logitSums.view(B, T - 1) * mask).sum(-1);         // [B]
        return new SequenceLogProbs(
            perToken.MoveToOuterDisposeScope(),
            perToken.sum(-1).MoveToOuterDisposeScope(),
            mask.sum(-1).MoveToOuterDisposeScope(),
            logitSum.MoveToOuterDisposeScope());
    }
}
