using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Simper.Objectives;

/// <summary>DPO: loss = mean(−log σ(β(Δ_w − Δ_l))), Δ = S_policy − S_reference.</summary>
public sealed class DpoObjective(double beta) : PairedObjective(Info)
{
    public static ObjectiveInfo Info { get; } = new(
        "dpo",
        "Direct Preference Optimization: logistic loss on the policy/reference log-ratio margin",
        NeedsReference: true, Unpaired: false,
        Hyperparameters: [new("beta", 0.1, "strength of the implicit KL penalty toward the reference model", HyperparameterRange.Positive)],
        h => new DpoObjective(h["beta"]));

    public double Beta { get; } = beta;

    protected override ObjectiveResult Compute(PairLogProbs policy, PairLogProbs? reference)
    {
        var chosenRatio = policy.ChosenSum - reference!.ChosenSum;       // [B]
        var rejectedRatio = policy.RejectedSum - reference.RejectedSum;  // [B]
        var loss = -logsigmoid(Beta * (chosenRatio - rejectedRatio)).mean();
        return new(loss, PreferenceMetrics.Paired(Beta * chosenRatio, Beta * rejectedRatio, policy));
    }
}
