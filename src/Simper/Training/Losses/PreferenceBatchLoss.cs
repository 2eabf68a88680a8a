using Simper.Models;
using Simper.Objectives;
using Simper.Scoring;
using Simper.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Training.Losses;

/// <summary>
/// A paired preference method (SimPER, DPO, IPO, CPO, SLiC, SimPO, ORPO): chosen and rejected responses go through
/// the policy in one forward pass laid out as <paramref name="packing"/> says (every layout gives the same sums), and
/// the objective turns their log-probs into the loss. A reference model scores the pairs in the same layout.
/// </summary>
public sealed class PreferenceBatchLoss(IPreferenceObjective objective, ReferenceLogProbs? reference, int padId,
    PairPacking packing = PairPacking.SharedPromptPaddingFree) : IBatchLoss<EncodedPair>
{
    public IPreferenceObjective Objective { get; } = objective.NeedsReference && reference is null
        ? throw new SimperException($"method '{objective.Name}' needs a reference model (--ref-model) or precomputed ref_chosen_logps/ref_rejected_logps")
        : objective;

    public PairPacking Packing { get; } = packing;

    public BatchLossResult Compute(LlamaForCausalLM policy, IReadOnlyList<EncodedPair> batch)
    {
        using var scope = NewDisposeScope();
        int b = batch.Count;
        var pairs = batch.Select(p => (p.Prompt, p.Chosen, p.Rejected)).ToList();
        var scores = PairForward.Score(policy, pairs, Packing, padId); // every tensor [B]
        var policyPair = new PairLogProbs(scores.ChosenSum, scores.RejectedSum, scores.ChosenCount, scores.RejectedCount);

        PairLogProbs? referencePair = null;
        if (Objective.NeedsReference)
        {
            var sums = reference!.PairSums(policy, pairs, Packing, padId, () => Precomputed(batch)); // [2B]
            referencePair = new PairLogProbs(sums[..b], sums[b..], scores.ChosenCount, scores.RejectedCount);
        }

        var result = Objective.Compute(new PairedInputs(policyPair, referencePair));
        var vocab = policy.Config.VocabSize;
        var metrics = new Dictionary<string, double>(result.Metrics)
        {
            [MetricNames.LogitsChosen] = MeanLogit(scores.ChosenLogitSum, scores.ChosenCount, vocab),
            [MetricNames.LogitsRejected] = MeanLogit(scores.RejectedLogitSum, scores.RejectedCount, vocab),
        };
        // Tokens as two separate sequences per pair would hold, whatever the layout shares, so throughput stays comparable.
        long tokens = batch.Sum(p => 2L * p.Prompt.Length + p.Chosen.Length + p.Rejected.Length);
        return new BatchLossResult(result.Loss.MoveToOuterDisposeScope(), tokens, metrics);
    }

    /// <summary>Mean logit over the scored positions and the vocabulary: TRL's logits/chosen and logits/rejected.</summary>
    private static double MeanLogit(Tensor logitSums, Tensor counts, long vocabSize)
    {
        var positions = counts.sum().to(ScalarType.Float64).item<double>();
        return positions == 0 ? double.NaN : logitSums.sum().to(ScalarType.Float64).item<double>() / (positions * vocabSize);
    }

    private static double[] Precomputed(IReadOnlyList<EncodedPair> batch) =>
        [.. batch.Select(p => p.RefChosenLogps ?? throw MissingReference(p)), .. batch.Select(p => p.RefRejectedLogps ?? throw MissingReference(p))];

    private static SimperException MissingReference(EncodedPair pair) =>
        new($"{pair.Source}: ref_chosen_logps/ref_rejected_logps missing; every row needs them when no reference model is given");
}
