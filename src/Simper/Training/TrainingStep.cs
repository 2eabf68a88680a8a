using Simper.Models;
using Simper.Runtime;
using Simper.Training.Losses;
using static TorchSharp.torch;

namespace Simper.Training;

/// <summary>What one optimizer step did: the loss and metrics averaged over its micro-batches, the gradient norm
/// before clipping, whether both were finite (and so the update was applied), and the tokens it read.</summary>
public sealed record StepOutcome(Dictionary<string, double> Metrics, double GradNorm, bool Applied, long Tokens)
{
    public double Loss => Metrics[MetricNames.Loss];
}

/// <summary>
/// One optimizer step exactly as the trainer runs it: gradients cleared, each micro-batch's loss (divided by the
/// number of micro-batches) backpropagated with its tensors freed before the next, gradients moved to the float32
/// masters of a low-precision policy, the global norm clipped, and the AdamW update applied only when the loss and
/// norm are finite. <see cref="Trainer{TExample}"/> runs it every step and the bench (TrainingBench) times
/// it, so a change to the step is what the bench measures.
/// </summary>
public sealed class TrainingStep<TExample>(
    LlamaForCausalLM model, IBatchLoss<TExample> loss, optim.Optimizer optimizer,
    IReadOnlyList<TorchSharp.Modules.Parameter> parameters, MasterWeights? masters, double maxGradNorm)
{
    public StepOutcome Run(IReadOnlyList<IReadOnlyList<TExample>> microBatches)
    {
        optimizer.zero_grad();
        var metrics = new MetricsWindow();
        long tokens = 0;
        foreach (var batch in microBatches)
        {
            var (value, batchMetrics, batchTokens) = Backward(batch, microBatches.Count);
            metrics.Add(batchMetrics, value);
            tokens += batchTokens;
        }
        masters?.MoveGradients();
        double gradNorm = ClipGradients();
        var averaged = metrics.Mean();
        bool finite = double.IsFinite(averaged[MetricNames.Loss]) && double.IsFinite(gradNorm);
        if (finite)
        {
            optimizer.step();
            masters?.CopyToModel();
        }
        else optimizer.zero_grad();
        Kernels.StepGarbage.Collect();
        return new StepOutcome(averaged, gradNorm, finite, tokens);
    }

    /// <summary>
    /// One micro-batch's forward and backward pass, its loss scaled by 1 / <paramref name="accumulation"/>; the graph
    /// and its tensors are freed on return, the gradients accumulate.
    /// </summary>
    public (double Loss, IReadOnlyDictionary<string, double> Metrics, long Tokens) Backward(IReadOnlyList<TExample> batch, int accumulation = 1)
    {
        using var scope = NewDisposeScope();
        var result = loss.Compute(model, batch);
        (result.Loss / accumulation).backward();
        return (result.Loss.item<float>(), result.Metrics, result.Tokens);
    }

    private double ClipGradients()
    {
        // The total norm before clipping is what TRL logs as grad_norm; a limit of 0 only measures it.
        double limit = maxGradNorm > 0 ? maxGradNorm : double.PositiveInfinity;
        return nn.utils.clip_grad_norm_(parameters.Where(p => p.grad is not null), limit);
    }
}
