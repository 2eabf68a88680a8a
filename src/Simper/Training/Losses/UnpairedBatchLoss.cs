using Simper.Models;
using Simper.Objectives;
using Simper.Scoring;
using Simper.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Training.Losses;

/// <summary>
/// An unpaired method (KTO): each example is one completion labelled desirable or not. Besides the completions, the
/// batch is scored with mismatched prompt/completion pairs (prompt i with another example's completion), whose
/// policy-minus-reference log-probs estimate the KL term; that pass needs no gradients.
/// </summary>
public sealed class UnpairedBatchLoss(IPreferenceObjective objective, ReferenceLogProbs reference, int padId) : IBatchLoss<EncodedCompletion>
{
    public BatchLossResult Compute(LlamaForCausalLM policy, IReadOnlyList<EncodedCompletion> batch)
    {
        using var scope = NewDisposeScope();
        var device = policy.Device;
        var order = KtoObjective.MismatchedOrder(batch.Count);
        using var matched = SequenceBatch.Collate(batch.Select(e => (e.Prompt, e.Completion)).ToList(), padId, device);
        using var mismatched = SequenceBatch.Collate(
            batch.Select((e, i) => (e.Prompt, batch[order[i]].Completion)).ToList(), padId, device);

        var scores = LogProbs.Compute(policy, matched);
        Tensor policyMismatched;
        using (no_grad()) policyMismatched = LogProbs.Compute(policy, mismatched).Sum;
        Func<double[]> none = () => throw new SimperException("KTO needs a reference model; unpaired data carries no reference log-probs");
        var referenceMatched = reference.Sums(matched, none, device);
        var referenceMismatched = reference.Sums(mismatched, none, device);

        var desirable = tensor(batch.Select(e => e.Desirable).ToArray(), device: device);
        var result = objective.Compute(new UnpairedInputs(
            new UnpairedLogProbs(scores.Sum, policyMismatched),
            new UnpairedLogProbs(referenceMatched, referenceMismatched),
            desirable));
        long tokens = matched.AttentionMask.sum().item<long>() + mismatched.AttentionMask.sum().item<long>();
        return new BatchLossResult(result.Loss.MoveToOuterDisposeScope(), tokens, result.Metrics);
    }
}
