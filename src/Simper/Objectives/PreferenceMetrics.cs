using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Objectives;

/// <summary>
/// The metrics every paired objective logs, with TRL's names. Rewards are the implicit rewards of the method:
/// β·(S_policy − S_reference) for reference-based objectives, and the mean log-prob m = S/|y| for reference-free ones.
/// </summary>
public static class PreferenceMetrics
{
    /// <param name="chosenRewards">[B]</param>
    /// <param name="rejectedRewards">[B]</param>
    /// <param name="policy">the policy's log-probs; "logps/*" are the batch means of the summed log-probs.</param>
    /// <param name="extras">objective-specific metrics, e.g. ("nll_loss", nll).</param>
    public static Dictionary<string, double> Paired(Tensor chosenRewards, Tensor rejectedRewards, PairLogProbs policy,
        params (string Name, Tensor Value)[] extras)
    {
        using var _ = no_grad();
        var metrics = new Dictionary<string, double>
        {
            ["rewards/chosen"] = chosenRewards.mean().ToDouble(),
            ["rewards/rejected"] = rejectedRewards.mean().ToDouble(),
            ["rewards/margins"] = (chosenRewards - rejectedRewards).mean().ToDouble(),
            ["rewards/accuracies"] = chosenRewards.gt(rejectedRewards).to_type(chosenRewards.dtype).mean().ToDouble(),
            ["logps/chosen"] = policy.ChosenSum.mean().ToDouble(),
            ["logps/rejected"] = policy.RejectedSum.mean().ToDouble(),
        };
        foreach (var (name, value) in extras) metrics[name] = value.mean().ToDouble();
        return metrics;
    }
}
