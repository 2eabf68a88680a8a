using Simper.Models;
using Simper.Scoring;
using Simper.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Training.Losses;

/// <summary>
/// Supervised fine-tuning: the negative log-likelihood of the completion tokens, averaged over all completion tokens
/// of the micro-batch (prompt tokens are context only), as TRL's SFTTrainer computes it.
/// </summary>
public sealed class SftBatchLoss(int padId) : IBatchLoss<EncodedSft>
{
    public BatchLossResult Compute(LlamaForCausalLM policy, IReadOnlyList<EncodedSft> batch)
    {
        using var scope = NewDisposeScope();
        using var sequences = SequenceBatch.Collate(batch.Select(e => (e.Prompt, e.Completion)).ToList(), padId, policy.Device);
        var scores = LogProbs.Compute(policy, sequences);
        var loss = -scores.Sum.sum() / scores.Count.sum().clamp_min(1);
        var metrics = new Dictionary<string, double> { ["logps/completion"] = scores.Sum.mean().item<float>() };
        long tokens = sequences.AttentionMask.sum().item<long>();
        return new BatchLossResult(loss.MoveToOuterDisposeScope(), tokens, metrics);
    }
}
