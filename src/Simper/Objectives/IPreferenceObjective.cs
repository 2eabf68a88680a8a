using static TorchSharp.torch;

namespace Simper.Objectives;

/// <summary>
/// A preference-optimisation loss over a batch of summed response log-probabilities. Each objective declares what
/// the trainer must feed it: reference-model log-probs (<see cref="NeedsReference"/>) and paired chosen/rejected
/// completions or unpaired labelled ones (<see cref="Unpaired"/>).
/// </summary>
public interface IPreferenceObjective
{
    /// <summary>The catalog name, e.g. "simper".</summary>
    string Name { get; }

    /// <summary>True when the loss compares the policy against a frozen reference model.</summary>
    bool NeedsReference { get; }

    /// <summary>True when the objective takes <see cref="UnpairedInputs"/> rather than <see cref="PairedInputs"/>.</summary>
    bool Unpaired { get; }

    /// <summary>The batch-mean loss (differentiable) and detached metrics named as TRL names them.</summary>
    ObjectiveResult Compute(ObjectiveInputs inputs);
}

/// <summary>The scalar batch-mean loss and the step's metrics (detached doubles, e.g. "rewards/margins").</summary>
public sealed record ObjectiveResult(Tensor Loss, IReadOnlyDictionary<string, double> Metrics);
