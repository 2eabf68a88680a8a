using TorchSharp;

namespace Simper.Objectives;

/// <summary>
/// Base of the objectives that score chosen/rejected pairs: checks the inputs match what the objective declared,
/// and computes the loss inside its own dispose scope so only the loss outlives the call.
/// </summary>
public abstract class PairedObjective(ObjectiveInfo info) : IPreferenceObjective
{
    public string Name => info.Name;
    public bool NeedsReference => info.NeedsReference;
    public bool Unpaired => false;

    public ObjectiveResult Compute(ObjectiveInputs inputs)
    {
        if (inputs is not PairedInputs paired)
            throw new ArgumentException($"objective '{Name}' takes {nameof(PairedInputs)}, got {inputs.GetType().Name}", nameof(inputs));
        if (NeedsReference && paired.Reference is null)
            throw new ArgumentException($"objective '{Name}' needs reference log-probs", nameof(inputs));
        using var scope = torch.NewDisposeScope();
        var result = Compute(paired.Policy, paired.Reference);
        result.Loss.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>The batch-mean loss and metrics; <paramref name="reference"/> is non-null when the objective needs it.</summary>
    protected abstract ObjectiveResult Compute(PairLogProbs policy, PairLogProbs? reference);
}
