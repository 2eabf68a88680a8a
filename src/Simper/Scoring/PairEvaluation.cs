using Simper.Objectives;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Scoring;

/// <summary>
/// Turns scored pairs into evaluation numbers over the whole set at once, so a loss equals the objective's batch-mean
/// definition over every pair (not an average of micro-batch means). Computed in float64 on the CPU.
/// </summary>
public static class PairEvaluation
{
    /// <summary>
    /// Method-free numbers: <c>logps/chosen</c> and <c>logps/rejected</c> (means of the summed log-probs),
    /// <c>rewards/accuracies</c> (fraction of pairs whose chosen sum exceeds the rejected one) and <c>pairs</c>.
    /// </summary>
    public static Dictionary<string, double> Summary(PairScores policy)
    {
        var n = policy.Count;
        if (n == 0) throw new SimperException("no pairs to evaluate");
        return new Dictionary<string, double>
        {
            ["logps/chosen"] = policy.ChosenSums.Average(),
            ["logps/rejected"] = policy.RejectedSums.Average(),
            ["rewards/accuracies"] = Enumerable.Range(0, n).Count(i => policy.ChosenSums[i] > policy.RejectedSums[i]) / (double)n,
            ["pairs"] = n,
        };
    }

    /// <summary>
    /// The objective's batch-mean <c>loss</c> over all pairs and its metrics (TRL names), plus <c>pairs</c>.
    /// <paramref name="reference"/> is required when the objective needs one.
    /// </summary>
    public static Dictionary<string, double> Evaluate(IPreferenceObjective objective, PairScores policy, PairScores? reference)
    {
        if (objective.Unpaired)
            throw new SimperException($"method '{objective.Name}' is unpaired (labelled single completions); evaluation scores preference pairs with a paired method");
        if (objective.NeedsReference && reference is null)
            throw new SimperException($"method '{objective.Name}' needs reference log-probs: a reference model or ref_chosen_logps/ref_rejected_logps in the data");
        if (policy.Count == 0) throw new SimperException("no pairs to evaluate");
        using var scope = torch.NewDisposeScope();
        var inputs = new PairedInputs(ToTensors(policy), objective.NeedsReference ? ToTensors(reference!) : null);
        var result = objective.Compute(inputs);
        var metrics = new Dictionary<string, double>(result.Metrics)
        {
            ["loss"] = result.Loss.to(ScalarType.Float64).item<double>(),
            ["pairs"] = policy.Count,
        };
        return metrics;
    }

    private static PairLogProbs ToTensors(PairScores scores) => new(
        torch.tensor(scores.ChosenSums, ScalarType.Float64),
        torch.tensor(scores.RejectedSums, ScalarType.Float64),
        torch.tensor(scores.ChosenTokens.Select(t => (double)t).ToArray(), ScalarType.Float64),
        torch.tensor(scores.RejectedTokens.Select(t => (double)t).ToArray(), ScalarType.Float64));
}
