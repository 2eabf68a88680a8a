using Simper.Models;
using static TorchSharp.torch;

namespace Simper.Training.Losses;

/// <summary>
/// The loss of one micro-batch: a differentiable scalar, the real (non-padding) tokens it ran, and detached metrics
/// named as TRL names them.
/// </summary>
public sealed record BatchLossResult(Tensor Loss, long Tokens, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// What the trainer asks of a training method: the loss of a micro-batch of examples under the policy. One trainer
/// drives every method; each method is one of these (supervised, paired preference, unpaired preference).
/// </summary>
public interface IBatchLoss<TExample>
{
    /// <summary>Runs the policy (and whatever else the method needs) over the micro-batch.</summary>
    BatchLossResult Compute(LlamaForCausalLM policy, IReadOnlyList<TExample> batch);
}
