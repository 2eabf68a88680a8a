using Simper.Models;
using Simper.Scoring;
using Simper.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Training.Losses;

/// <summary>
/// Supervised fine-tuning: the negative log-likelihood of the completion tokens, averaged over all completion tokens
/// of the micro-batch (prompt tokens are context only), as TRL's SFTTrainer computes it. With
/// <paramref name="paddingFree"/> the examples run back to back in one packed row, otherwise as a right-padded batch.
/// </summary>
public sealed class SftBatchLoss(int padId, bool paddingFree = true) : IBatchLoss<EncodedSft>
{
    public bool PaddingFree { get; } = paddingFree;

    public BatchLossResult Compute(LlamaForCausalLM policy, IReadOnlyList<EncodedSft> batch)
    {
        using var scope = NewDisposeScope();
        var scores = SequenceForward.Score(policy, batch.Select(e => (e.Prompt, e.Completion)).ToList(), PaddingFree, padId); // [B]
        var loss = -scores.Sum.sum() / scores.Count.sum().clamp_min(1);
        var metrics = new Dictionary<string, double> { ["logps/completion"] = scores.Sum.mean().item<float>() };
        return new BatchLossResult(loss.MoveToOuterDisposeScope(), scores.Tokens, metrics);
    }
}
