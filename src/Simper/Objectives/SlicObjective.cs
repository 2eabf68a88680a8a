using static TorchSharp.torch;

namespace Simper.Objectives;

/// <summary>
/// SLiC-HF calibration: hinge on the summed log-prob margin plus NLL regularisation on the chosen responses:
/// loss = mean(max(0, δ − (S_w − S_l))) + λ·NLL(y_w), NLL as <see cref="PairLogProbs.ChosenNll"/>.
/// </summary>
public sealed class SlicObjective(double delta, double lambda) : PairedObjective(Info)
{
    public static ObjectiveInfo Info { get; } = new(
        "slic",
        "Sequence Likelihood Calibration: hinge loss on the log-probability margin plus NLL on the chosen response",
        NeedsReference: false, Unpaired: false,
        Hyperparameters:
        [
            new("delta", 1.0, "margin the chosen log-probability must exceed the rejected one by", HyperparameterRange.NonNegative),
            new("lambda", 0.1, "weight of the NLL term on the chosen response", HyperparameterRange.NonNegative),
        ],
        h => new SlicObjective(h["delta"], h["lambda"]));

    public double Delta { get; } = delta;
    public double Lambda { get; } = lambda;

    protected override ObjectiveResult Compute(PairLogProbs policy, PairLogProbs? reference)
    {
        var hinge = (Delta - (policy.ChosenSum - policy.RejectedSum)).relu().mean();
        var nll = policy.ChosenNll();
        var loss = hinge + Lambda * nll;
        return new(loss, PreferenceMetrics.Paired(policy.ChosenMean(), policy.RejectedMean(), policy, ("nll_loss", nll)));
    }
}
