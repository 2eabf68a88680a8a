using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Simper.Objectives;

/// <summary>
/// SimPO: reference-free logistic loss on the mean log-prob margin with a target margin γ:
/// loss = mean(−log σ(β(m_w − m_l) − γ)). Rewards are logged as m (not TRL's β·m), like every reference-free method.
/// </summary>
public sealed class SimpoObjective(double beta, double gamma) : PairedObjective(Info)
{
    public static ObjectiveInfo Info { get; } = new(
        "simpo",
        "Simple Preference Optimization: reference-free logistic loss on the mean log-probability margin with a target margin",
        NeedsReference: false, Unpaired: false,
        Hyperparameters:
        [
            new("beta", 2.0, "scale of the mean log-probability margin", HyperparameterRange.Positive),
            new("gamma", 0.5, "target reward margin subtracted inside the sigmoid", HyperparameterRange.NonNegative),
        ],
        h => new SimpoObjective(h["beta"], h["gamma"]));

    public double Beta { get; } = beta;
    public double Gamma { get; } = gamma;

    protected override ObjectiveResult Compute(PairLogProbs policy, PairLogProbs? reference)
    {
        var chosenMean = policy.ChosenMean();     // [B]
        var rejectedMean = policy.RejectedMean(); // [B]
        var loss = -logsigmoid(Beta * (chosenMean - rejectedMean) - Gamma).mean();
        return new(loss, PreferenceMetrics.Paired(chosenMean, rejectedMean, policy));
    }
}
