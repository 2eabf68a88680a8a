using static TorchSharp.torch;

namespace Simper.Objectives;

/// <summary>
/// SimPER: hyperparameter-free and reference-free. Maximises the inverse perplexity exp(m_w) of the chosen response
/// and minimises that of the rejected one: loss = mean(−exp(m_w) + exp(m_l)), m = S/|y|.
/// </summary>
public sealed class SimperObjective() : PairedObjective(Info)
{
    public static ObjectiveInfo Info { get; } = new(
        "simper",
        "SimPER: raise the chosen response's inverse perplexity, lower the rejected one's; no hyperparameters, no reference model",
        NeedsReference: false, Unpaired: false, Hyperparameters: [],
        _ => new SimperObjective());

    protected override ObjectiveResult Compute(PairLogProbs policy, PairLogProbs? reference)
    {
        var chosenMean = policy.ChosenMean();     // [B]
        var rejectedMean = policy.RejectedMean(); // [B]
        var loss = (rejectedMean.exp() - chosenMean.exp()).mean();
        return new(loss, PreferenceMetrics.Paired(chosenMean, rejectedMean, policy));
    }
}
