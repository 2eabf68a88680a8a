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
    /// tensor, the head recomputed chunk-wise under gradient checkpointing). The output head runs only at the
    /// positions that predict a response token: prompt and padding positions need no logits.
    /// </summary>
    public static SequenceLogProbs Compute(LlamaForCausalLM model, SequenceBatch batch)
    {
        using var scope = torch.NewDisposeScope();
        var (B, T) = (batch.BatchSize, batch.Length);
        var scoreType = TargetLogProbs.ScoreType(model);
        var hidden = model.HiddenStates(batch.InputIds, attentionMask: batch.AttentionMask); // [B, T, H]
        // Position t predicts token t+1; the last position predicts nothing.
        var mask = batch.ResponseMask[.., 1..];                                                // [B, T-1]
        var scored = torch.nn.functional.pad(mask, [0, 1]).reshape(-1).nonzero().squeeze(-1); // [M]: flat b*T + t of the predicting positions
        var predicting = hidden.reshape(-1, hidden.size(-1)).index_select(0, scored);         // [M, H]
        var labels = torch.nn.functional.pad(batch.InputIds[.., 1..], [0, 1]).reshape(-1).index_select(0, scored); // [M]
        var (logProbs, logitSums) = TargetLogProbs.Compute(model, predicting, labels);        // [M] each
        var perToken = torch.zeros(B * T, dtype: scoreType, device: hidden.device)
            .index_add(0, scored, logProbs, 1).view(B, T)[.., ..(int)(T - 1)];                // [B, T-1], zero off the response
        Tensor logitSum;
        using (torch.no_grad())
            logitSum = torch.zeros(B * T, dtype: scoreType, device: hidden.device)
                .index_add(0, scored, logitSums, 1).view(B, T).sum(-1);                       // [B]
        return new SequenceLogProbs(
            perToken.MoveToOuterDisposeScope(),
            perToken.sum(-1).MoveToOuterDisposeScope(),
            mask.to(scoreType).sum(-1).MoveToOuterDisposeScope(),
            logitSum.MoveToOuterDisposeScope());
    }
}
