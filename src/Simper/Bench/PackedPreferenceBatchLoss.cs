using Simper.Models;
using Simper.Objectives;
using Simper.Scoring;
using Simper.Text;
using Simper.Training.Losses;
using static TorchSharp.torch;

namespace Simper.Bench;

/// <summary>
/// A paired preference loss whose forward pass uses any <see cref="PairPacking"/> (the trainer's
/// <see cref="PreferenceBatchLoss"/> runs the padded layout). Policy and live reference model are scored with the
/// same packing; the reference without gradients. Reports the loss only, no logit metrics.
/// </summary>
public sealed class PackedPreferenceBatchLoss(IPreferenceObjective objective, LlamaForCausalLM? reference, PairPacking packing, int padId)
    : IBatchLoss<EncodedPair>
{
    public IPreferenceObjective Objective { get; } = objective.NeedsReference && reference is null
        ? throw new SimperException($"method '{objective.Name}' needs a reference model")
        : objective;

    public BatchLossResult Compute(LlamaForCausalLM policy, IReadOnlyList<EncodedPair> batch)
    {
        using var scope = NewDisposeScope();
        var pairs = batch.Select(p => (p.Prompt, p.Chosen, p.Rejected)).ToList();
        var scores = PairForward.Score(policy, pairs, packing, padId);
        var policyPair = new PairLogProbs(scores.ChosenSum, scores.RejectedSum, scores.ChosenCount, scores.RejectedCount);

        PairLogProbs? referencePair = null;
        if (Objective.NeedsReference)
        {
            using var noGrad = no_grad();
            var frozen = PairForward.Score(reference!, pairs, packing, padId);
            referencePair = new PairLogProbs(frozen.ChosenSum.detach(), frozen.RejectedSum.detach(), frozen.ChosenCount, frozen.RejectedCount);
        }

        var result = Objective.Compute(new PairedInputs(policyPair, referencePair));
        return new BatchLossResult(result.Loss.MoveToOuterDisposeScope(), scores.Tokens, result.Metrics);
    }
}
