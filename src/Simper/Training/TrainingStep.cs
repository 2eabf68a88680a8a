using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Simper.Distributed;
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
/// Under a communicator of N ranks, each rank passes its own share of the step's micro-batches; every loss is divided
/// by the micro-batches of all ranks and the float32 gradients are summed across ranks before clipping, so every rank
/// applies the update one process would with N times the micro-batches. Loss, metrics and tokens are the global ones.
/// </summary>
public sealed class TrainingStep<TExample>(
    LlamaForCausalLM model, IBatchLoss<TExample> loss, optim.Optimizer optimizer,
    IReadOnlyList<TorchSharp.Modules.Parameter> parameters, MasterWeights? masters, double maxGradNorm)
{
    /// <summary>The ranks sharing each step; the lone process by default.</summary>
    public ICommunicator Communicator { get; init; } = SingleProcess.Instance;

    /// <summary>Gradient bytes each rank sent in the last step's all-reduce, and the time it took (zero alone).</summary>
    public (long Bytes, TimeSpan Elapsed) LastAllReduce { get; private set; }

    public StepOutcome Run(IReadOnlyList<IReadOnlyList<TExample>> microBatches)
    {
        optimizer.zero_grad();
        var metrics = new MetricsWindow();
        long tokens = 0;
        foreach (var batch in microBatches)
        {
            var (value, batchMetrics, batchTokens) = Backward(batch, microBatches.Count * Communicator.Size);
            metrics.Add(batchMetrics, value);
            tokens += batchTokens;
        }
        masters?.MoveGradients();
        if (Communicator.Size > 1)
        {
            var clock = Stopwatch.StartNew();
            long bytes;
            using (var scope = NewDisposeScope())
                bytes = Communicator.AllReduceSum(parameters.Select(p => p.grad).OfType<Tensor>().ToList());
            LastAllReduce = (bytes, clock.Elapsed);
            (metrics, tokens) = Global(metrics, tokens);
        }
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

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
    private const string TokensKey = "\u0000tokens";

    /// <summary>The metrics of every rank's micro-batches, summed in rank order so all ranks hold the same values.</summary>
    private (MetricsWindow, long) Global(MetricsWindow local, long tokens)
    {
        var totals = local.Save();
        totals[TokensKey] = [tokens, 1];
        var merged = new MetricsWindow();
        long allTokens = 0;
        foreach (var bytes in Communicator.AllGather(JsonSerializer.SerializeToUtf8Bytes(totals, Json)))
        {
            var rank = JsonSerializer.Deserialize<Dictionary<string, double[]>>(bytes, Json)!;
            allTokens += (long)rank[TokensKey][0];
            rank.Remove(TokensKey);
            merged.AddTotals(rank);
        }
        return (merged, allTokens);
    }

    private double ClipGradients()
    {
        // The total norm before clipping is what TRL logs as grad_norm; a limit of 0 only measures it.
        double limit = maxGradNorm > 0 ? maxGradNorm : double.PositiveInfinity;
        return nn.utils.clip_grad_norm_(parameters.Where(p => p.grad is not null), limit);
    }
}
