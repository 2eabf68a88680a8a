using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Objectives;

/// <summary>
/// KTO on unpaired completions labelled desirable or undesirable, as TRL's KTOTrainer computes it. With Δ the
/// policy/reference log-ratio of a completion and z₀ = max(0, mean(policy − reference log-probs of the mismatched
/// prompt/completion pairs)), detached:
/// desirable loss λ_D·(1 − σ(β(Δ − z₀))), undesirable loss λ_U·(1 − σ(β(z₀ − Δ))), averaged over all B examples.
/// </summary>
public sealed class KtoObjective(double beta, double desirableWeight, double undesirableWeight) : IPreferenceObjective
{
    public static ObjectiveInfo Info { get; } = new(
        "kto",
        "Kahneman-Tversky Optimization: unpaired completions labelled desirable or undesirable, scored against a KL baseline",
        NeedsReference: true, Unpaired: true,
        Hyperparameters:
        [
            new("beta", 0.1, "scale of the log-ratio relative to the KL baseline", HyperparameterRange.Positive),
            new("desirable-weight", 1.0, "weight of the loss on desirable completions", HyperparameterRange.Positive),
            new("undesirable-weight", 1.0, "weight of the loss on undesirable completions", HyperparameterRange.Positive),
        ],
        h => new KtoObjective(h["beta"], h["desirable-weight"], h["undesirable-weight"]));

    public string Name => Info.Name;
    public bool NeedsReference => true;
    public bool Unpaired => true;
    public double Beta { get; } = beta;
    public double DesirableWeight { get; } = desirableWeight;
    public double UndesirableWeight { get; } = undesirableWeight;

    /// <summary>
    /// For a batch of <paramref name="batchSize"/> examples, the completion to pair with each prompt for the KL
    /// estimate: prompt i takes completion (i − 1) mod B, TRL's shift by one, so the mismatched completions are the
    /// batch's own completions paired with other prompts.
    /// </summary>
    public static int[] MismatchedOrder(int batchSize) =>
        Enumerable.Range(0, batchSize).Select(i => (i + batchSize - 1) % batchSize).ToArray();

    public ObjectiveResult Compute(ObjectiveInputs inputs)
    {
        if (inputs is not UnpairedInputs unpaired)
            throw new ArgumentException($"objective '{Name}' takes {nameof(UnpairedInputs)}, got {inputs.GetType().Name}", nameof(inputs));
        using var scope = torch.NewDisposeScope();
        var (policy, reference, desirable) = unpaired;
        // The KL baseline is a running estimate, not something to optimise through.
        var kl = (policy.MismatchedSum - reference.MismatchedSum).mean().detach().clamp_min(0); // scalar
        var logRatio = policy.CompletionSum - reference.CompletionSum;                          // [B]
        var desirableLoss = DesirableWeight * (1 - (Beta * (logRatio - kl)).sigmoid());         // [B]
        var undesirableLoss = UndesirableWeight * (1 - (Beta * (kl - logRatio)).sigmoid());     // [B]
        var loss = where(desirable, desirableLoss, undesirableLoss).mean();
        var metrics = Metrics(Beta * logRatio, policy.CompletionSum, desirable, kl);
        return new(loss.MoveToOuterDisposeScope(), metrics);
    }

    // TRL's KTO metrics: a group absent from the batch gives NaN for its means and counts as 0 in the margin.
    private static Dictionary<string, double> Metrics(Tensor rewards, Tensor logps, Tensor desirable, Tensor kl)
    {
        using var _ = no_grad();
        var undesirable = desirable.logical_not();
        var chosenReward = rewards.masked_select(desirable).mean().ToDouble();
        var rejectedReward = rewards.masked_select(undesirable).mean().ToDouble();
        return new Dictionary<string, double>
        {
            ["rewards/chosen"] = chosenReward,
            ["rewards/rejected"] = rejectedReward,
            ["rewards/margins"] = (double.IsNaN(chosenReward) ? 0 : chosenReward) - (double.IsNaN(rejectedReward) ? 0 : rejectedReward),
            ["logps/chosen"] = logps.masked_select(desirable).mean().ToDouble(),
            ["logps/rejected"] = logps.masked_select(undesirable).mean().ToDouble(),
            ["kl"] = kl.ToDouble(),
        };
    }
}
