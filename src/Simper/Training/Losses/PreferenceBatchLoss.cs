using Simper.Models;
using Simper.Objectives;
using Simper.Scoring;
using Simper.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Training.Losses;

/// <summary>
/// A paired preference method (SimPER, DPO, IPO, CPO, SLiC, SimPO, ORPO): chosen and rejected responses go through
/// the policy in one forward pass (chosen rows first, then rejected), and the objective turns their log-probs into
/// the loss.
/// </summary>
public sealed class PreferenceBatchLoss(IPreferenceObjective objective, ReferenceLogProbs? reference, int padId) : IBatchLoss<EncodedPair>
{
    public IPreferenceObjective Objective { get; } = objective.NeedsReference && reference is null
        ? throw new SimperException($"method '{objective.Name}' needs a reference model (--ref-model) or precomputed ref_chosen_logps/ref_rejected_logps")
        : objective;

    public BatchLossResult Compute(LlamaForCausalLM policy, IReadOnlyList<EncodedPair> batch)
    {
        using var scope = NewDisposeScope();
        int b = batch.Count;
        var rows = batch.Select(p => (p.Prompt, p.Chosen)).Concat(batch.Select(p => (p.Prompt, p.Rejected))).ToList();
        using var sequences = SequenceBatch.Collate(rows, padId, policy.Device); // [2B, T]
        var scores = LogProbs.Compute(policy, sequences);                        // sums and counts [2B]
        var policyPair = Split(scores.Sum, scores.Count, b);

        PairLogProbs? referencePair = null;
        if (Objective.NeedsReference)
        {
            var sums = reference!.Sums(sequences, () => Precomputed(batch), policy.Device);
            referencePair = Split(sums, scores.Count, b);
        }

        var result = Objective.Compute(new PairedInputs(policyPair, referencePair));
        var metrics = new Dictionary<string, double>(result.Metrics)
        {
            [MetricNames.LogitsChosen] = scores.MeanLogit(policy.Config.VocabSize, arange(0, b, device: policy.Device)),
            [MetricNames.LogitsRejected] = scores.MeanLogit(policy.Config.VocabSize, arange(b, 2 * b, device: policy.Device)),
        };
        long tokens = sequences.AttentionMask.sum().item<long>();
        return new BatchLossResult(result.Loss.MoveToOuterDisposeScope(), tokens, metrics);
    }

    private static PairLogProbs Split(Tensor sums, Tensor counts, int b) =>
        new(sums[..b], sums[b..], counts[..b], counts[b..]);

    private static double[] Precomputed(IReadOnlyList<EncodedPair> batch) =>
        [.. batch.Select(p => p.RefChosenLogps ?? throw MissingReference(p)), .. batch.Select(p => p.RefRejectedLogps ?? throw MissingReference(p))];

    private static SimperException MissingReference(EncodedPair pair) =>
        new($"{pair.Source}: ref_chosen_logps/ref_rejected_logps missing; every row needs them when no reference model is given");
}
