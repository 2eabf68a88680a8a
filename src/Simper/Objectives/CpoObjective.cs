using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Simper.Objectives;

/// <summary>
/// CPO: reference-free DPO on summed log-probs plus a behaviour-cloning term on the chosen responses:
/// loss = mean(−log σ(β(S_w − S_l))) + α·NLL(y_w), NLL as <see cref="PairLogProbs.ChosenNll"/>.
/// </summary>
public sealed class CpoObjective(double beta, double alpha) : PairedObjective(Info)
{
    public static ObjectiveInfo Info { get; } = new(
        "cpo",
        "Contrastive Preference Optimization: reference-free logistic preference loss plus NLL on the chosen response",
        NeedsReference: false, Unpaired: false,
        Hyperparameters:
        [
            new("beta", 0.1, "scale of the log-probability margin inside the sigmoid", HyperparameterRange.Positive),
            new("alpha", 1.0, "weight of the NLL term on the chosen response", HyperparameterRange.NonNegative),
        ],
        h => new CpoObjective(h["beta"], h["alpha"]));

    public double Beta { get; } = beta;
    public double Alpha { get; } = alpha;

    protected override ObjectiveResult Compute(PairLogProbs policy, PairLogProbs? reference)
    {
        var preference = -logsigmoid(Beta * (policy.ChosenSum - policy.RejectedSum)).mean();
        var nll = policy.ChosenNll();
        var loss = preference + Alpha * nll;
        return new(loss, PreferenceMetrics.Paired(policy.ChosenMean(), policy.RejectedMean(), policy, ("nll_loss", nll)));
    }
}
