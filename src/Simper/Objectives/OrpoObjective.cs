using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Simper.Objectives;

/// <summary>
/// ORPO: NLL on the chosen responses plus an odds-ratio penalty on the mean log-probs:
/// loss = NLL(y_w) − λ·mean(log σ(logodds(m_w) − logodds(m_l))), logodds(m) = m − log(1 − e^m).
/// </summary>
public sealed class OrpoObjective(double lambda) : PairedObjective(Info)
{
    public static ObjectiveInfo Info { get; } = new(
        "orpo",
        "Odds Ratio Preference Optimization: NLL on the chosen response plus a log odds-ratio penalty, no reference model",
        NeedsReference: false, Unpaired: false,
        Hyperparameters: [new("lambda", 0.1, "weight of the odds-ratio term", HyperparameterRange.NonNegative)],
        h => new OrpoObjective(h["lambda"]));

    public double Lambda { get; } = lambda;

    protected override ObjectiveResult Compute(PairLogProbs policy, PairLogProbs? reference)
    {
        var chosenMean = policy.ChosenMean();     // [B]
        var rejectedMean = policy.RejectedMean(); // [B]
        var logOdds = LogOdds(chosenMean) - LogOdds(rejectedMean); // [B]
        var oddsRatioTerm = logsigmoid(logOdds);                    // [B]
        var nll = policy.ChosenNll();
        var loss = nll - Lambda * oddsRatioTerm.mean();
        return new(loss, PreferenceMetrics.Paired(chosenMean, rejectedMean, policy,
            ("nll_loss", nll), ("log_odds_ratio", oddsRatioTerm), ("log_odds_chosen", logOdds)));
    }

    // log(p / (1 − p)) with p = e^m; −expm1 keeps 1 − e^m accurate when m is close to 0.
    private static Tensor LogOdds(Tensor meanLogProb) => meanLogProb - (-meanLogProb.expm1()).log();
}
