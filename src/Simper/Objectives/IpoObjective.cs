using static TorchSharp.torch;

namespace Simper.Objectives;

/// <summary>
/// IPO: squared loss pulling the length-normalised log-ratio margin to 1/(2β):
/// loss = mean((Δ_w/|y_w| − Δ_l/|y_l| − 1/(2β))²). Rewards are logged as β·Δ like the other reference-based methods.
/// </summary>
public sealed class IpoObjective(double beta) : PairedObjective(Info)
{
    public static ObjectiveInfo Info { get; } = new(
        "ipo",
        "Identity Preference Optimization: squared loss toward a fixed per-token log-ratio margin of 1/(2*beta)",
        NeedsReference: true, Unpaired: false,
        Hyperparameters: [new("beta", 0.1, "regularisation toward the reference; the target margin is 1/(2*beta)", HyperparameterRange.Positive)],
        h => new IpoObjective(h["beta"]));

    public double Beta { get; } = beta;

    protected override ObjectiveResult Compute(PairLogProbs policy, PairLogProbs? reference)
    {
        var chosenRatio = policy.ChosenSum - reference!.ChosenSum;       // [B]
        var rejectedRatio = policy.RejectedSum - reference.RejectedSum;  // [B]
        var margin = chosenRatio / policy.ChosenCount.to_type(chosenRatio.dtype)
                     - rejectedRatio / policy.RejectedCount.to_type(rejectedRatio.dtype);
        var loss = (margin - 1 / (2 * Beta)).square().mean();
        return new(loss, PreferenceMetrics.Paired(Beta * chosenRatio, Beta * rejectedRatio, policy));
    }
}
