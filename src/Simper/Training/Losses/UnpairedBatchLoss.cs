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
/// policy-minus-reference log-probs estimate the KL term; that pass needs no gradients. With
/// <paramref name="paddingFree"/> each set of rows runs as one packed row, otherwise as a right-padded batch.
/// </summary>
public sealed class UnpairedBatchLoss(IPreferenceObjective objective, ReferenceLogProbs reference, int padId, bool paddingFree = true)
    : IBatchLoss<EncodedCompletion>
{
    public bool PaddingFree { get; } = paddingFree;

    public BatchLossResult Compute(LlamaForCausalLM policy, IReadOnlyList<EncodedCompletion> batch)
    {
        using var scope = NewDisposeScope();
        var device = policy.Device;
        var order = KtoObjective.MismatchedOrder(batch.Count);
        var matched = batch.Select(e => (e.Prompt, e.Completion)).ToList();
        var mismatched = batch.Select((e, i) => (e.Prompt, batch[order[i]].Completion)).ToList();

        var scores = SequenceForward.Score(policy, matched, PaddingFree, padId); // [B]
        SequenceScores mismatchedScores;
        using (no_grad()) mismatchedScores = SequenceForward.Score(policy, mismatched, PaddingFree, padId); // [B]
        Func<double[]> none = () => throw new SimperException("KTO needs a reference model; unpaired data carries no reference log-probs");
        var referenceMatched = reference.SequenceSums(policy, matched, PaddingFree, padId, none);
        var referenceMismatched = reference.SequenceSums(policy, mismatched, PaddingFree, padId, none);

        var desirable = tensor(batch.Select(e => e.Desirable).ToArray(), device: device);
        var result = objective.Compute(new UnpairedInputs(
            new UnpairedLogProbs(scores.Sum, mismatchedScores.Sum),
            new UnpairedLogProbs(referenceMatched, referenceMismatched),
            desirable));
        return new BatchLossResult(result.Loss.MoveToOuterDisposeScope(), scores.Tokens + mismatchedScores.Tokens, result.Metrics);
    }
}
