using System.Diagnostics;
using Simper.Distributed;
using Simper.Lora;
using Simper.Models;
using Simper.Runtime;
using Simper.Training.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Training;

/// <summary>What a finished run reports.</summary>
public sealed record TrainingSummary(int Steps, int SkippedSteps, IReadOnlyDictionary<string, double> FinalEvaluation, TimeSpan Duration)
{
    /// <summary>The checkpoint a run asked to stop (<see cref="Trainer{TExample}.Stop"/>) saved before its last step,
    /// to continue it with --resume; null for a run that ran to its end.</summary>
    public string? StoppedAt { get; init; }
}

/// <summary>
/// The one trainer behind every method: AdamW, warmup then the chosen schedule, gradient accumulation, clipping,
/// periodic logging, evaluation and checkpoints, exact resume, and a guard against non-finite losses. The method is
/// the <see cref="IBatchLoss{TExample}"/> it is given.
/// </summary>
/// <remarks>
/// Data order is a pure function of the seed and the epoch, and the micro-batches form one stream across epochs,
/// so a run resumed at step s sees exactly the micro-batches an uninterrupted run would.
/// Under N ranks, a step's micro-batches are those one process with N times the gradient accumulation would take,
/// rank r computing the r-th share of them (global batch = batch size × accumulation × ranks, as accelerate counts it);
/// rank 0 alone writes metrics, checkpoints and the model, and each rank keeps its own dropout stream.
/// </remarks>
public sealed class Trainer<TExample>(
    LlamaForCausalLM model, IBatchLoss<TExample> loss, TrainingSettings settings, RunFolder run, IProgressSink progress)
{
    /// <summary>Non-finite steps in a row after which the run stops, keeping its last good checkpoint.</summary>
    public const int MaxConsecutiveNonFinite = 5;

    /// <summary>Where tokenizer files are copied from when the model is saved.</summary>
    public string? TokenizerSource { get; init; }

    /// <summary>Checkpoint to continue from (its model weights, or its LoRA adapter, must already be in the policy).</summary>
    public string? ResumeFrom { get; init; }

    /// <summary>
    /// The LoRA adapter the policy carries, or null when every weight trains. With one, checkpoints hold the adapter,
    /// the run ends by saving it to <c>adapter/</c> and merging it into the model saved at the run's root.
    /// </summary>
    public LoraConfig? Lora { get; init; }

    /// <summary>
    /// For a low-precision policy: the full-precision value of a weight by name (a new tensor, or null), where its
    /// float32 master starts instead of at the rounded weight (see <see cref="MasterWeights"/>). Not used on resume,
    /// where the checkpoint's own masters are loaded.
    /// </summary>
    public Func<string, TorchSharp.torch.Tensor?>? MasterStart { get; init; }

    /// <summary>The starting model, recorded as the adapter's base_model_name_or_path.</summary>
    public string? BaseModelPath { get; init; }

    /// <summary>The ranks training together; the lone process by default.</summary>
    public ICommunicator Communicator { get; init; } = SingleProcess.Instance;

    /// <summary>
    /// Asks the run to stop early (SIGTERM from a scheduler or a preempted machine): the step under way finishes, a
    /// checkpoint is written and <see cref="Train"/> returns with <see cref="TrainingSummary.StoppedAt"/>. Under
    /// several ranks a request on any one stops all of them after the same step.
    /// </summary>
    public CancellationToken Stop { get; init; }

    private bool Writes => Communicator.Rank == 0;
    private int Accumulation => settings.GradientAccumulationSteps;
    private int GlobalBatch => settings.BatchSize * Accumulation * Communicator.Size;

    public TrainingSummary Train(IReadOnlyList<TExample> train, IReadOnlyList<TExample>? eval = null, CancellationToken cancel = default)
    {
        if (train.Count == 0) throw new SimperException("the training set is empty after encoding and truncation");
        var clock = Stopwatch.StartNew();
        var plan = new DataPlan(train.Count, settings.BatchSize, Accumulation * Communicator.Size, settings.Seed);
        int totalSteps = settings.MaxSteps > 0 ? settings.MaxSteps : plan.StepsFor(settings.Epochs);
        var schedule = LearningRateSchedule.Create(settings.SchedulerKind, totalSteps, settings.WarmupRatio, settings.WarmupSteps);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();
        // bfloat16 weights are stepped through float32 masters; float32 weights are stepped directly.
        using var masters = MasterWeights.For(trainable, ResumeFrom is null ? MasterStart : null);
        var parameters = masters?.Parameters ?? trainable.Select(p => p.parameter).ToList();
        var optimizer = new PyTorchAdamW(parameters, settings.LearningRate, settings.AdamBeta1, settings.AdamBeta2,
            settings.AdamEpsilon, settings.WeightDecay);

        int step = 0, skipped = 0, nonFiniteInRow = 0;
        var window = new MetricsWindow();
        if (ResumeFrom is not null)
        {
            var state = TrainerState.Load(Path.Combine(ResumeFrom, TrainerState.FileName));
            RefuseChangedGlobalBatch(ResumeFrom, settings, Communicator.Size);
            OptimizerCheckpoint.Load(optimizer, Path.Combine(ResumeFrom, OptimizerCheckpoint.FileName));
            masters?.Load(Path.Combine(ResumeFrom, MasterWeights.FileName));
            RestoreRandomState(state);
            (step, skipped, nonFiniteInRow) = (state.GlobalStep, state.SkippedSteps, state.NonFiniteInRow);
            window = MetricsWindow.Restore(state.LogWindow);
            if (Writes) MetricsLog.DropAfter(run.File(MetricsLog.FileName), step);
        }
        else if (Communicator.Rank > 0) random.manual_seed(RankSeed());

        using var metrics = Writes ? new MetricsLog(run.Path) : null;
        var reporter = new ProgressReporter(progress, totalSteps);
        var trainingStep = new TrainingStep<TExample>(model, loss, optimizer, parameters, masters, settings.MaxGradNorm) { Communicator = Communicator };
        model.train();
        while (step < totalSteps)
        {
            cancel.ThrowIfCancellationRequested();
            var stepClock = Stopwatch.StartNew();
            double learningRate = schedule.Apply(optimizer, step);
            var share = plan.MicroBatches(step).Skip(Communicator.Rank * Accumulation).Take(Accumulation);
            var outcome = trainingStep.Run(share.Select(indices => (IReadOnlyList<TExample>)indices.Select(i => train[i]).ToList()).ToList());
            var (averaged, gradNorm, tokens) = (outcome.Metrics, outcome.GradNorm, outcome.Tokens);
            if (outcome.Applied) nonFiniteInRow = 0;
            else
            {
                skipped++;
                if (++nonFiniteInRow >= MaxConsecutiveNonFinite)
                    throw new SimperException(
                        $"stopped at step {step + 1}: loss or gradient was not finite for {nonFiniteInRow} steps in a row; " +
                        (run.Checkpoints() is [.., var kept] ? $"the last good checkpoint is {kept.Path}" : $"no checkpoint had been saved in {run.Path}"));
            }
            step++;
            averaged[MetricNames.GradNorm] = gradNorm;
            averaged[MetricNames.LearningRate] = learningRate;
            averaged["skipped_steps"] = skipped;
            window.Add(averaged);
            reporter.Step(step, averaged[MetricNames.Loss], tokens, stepClock.Elapsed);

            double epoch = plan.EpochAt(step);
            if (step % settings.LoggingSteps == 0 || step == totalSteps)
            {
                metrics?.LogTraining(step, epoch, window.Mean());
                window = new MetricsWindow();
            }
            if (eval is { Count: > 0 } && settings.EvalSteps > 0 && step % settings.EvalSteps == 0 && step != totalSteps)
                metrics?.LogEvaluation(step, epoch, Evaluate(eval));
            // A checkpoint taken amid non-finite steps is not a good one to return to; the previous one is kept.
            bool saved = settings.SavesCheckpoints && settings.SaveSteps > 0 && step % settings.SaveSteps == 0 && step != totalSteps && nonFiniteInRow == 0;
            if (saved) SaveCheckpoint(step, epoch, optimizer, masters, totalSteps, new(skipped, nonFiniteInRow, window));
            if (step != totalSteps && StopAgreed())
            {
                if (!saved) SaveCheckpoint(step, epoch, optimizer, masters, totalSteps, new(skipped, nonFiniteInRow, window));
                progress.Finish();
                Communicator.Barrier();
                return new TrainingSummary(step, skipped, new Dictionary<string, double>(), clock.Elapsed) { StoppedAt = run.CheckpointPath(step) };
            }
        }
        progress.Finish();

        var final = eval is { Count: > 0 } ? Evaluate(eval) : new Dictionary<string, double>();
        if (final.Count > 0) metrics?.LogEvaluation(step, plan.EpochAt(step), final);
        // save-strategy no ends the run with the final model alone: nothing to resume from, no optimizer state kept.
        if (settings.SavesCheckpoints)
            SaveCheckpoint(step, plan.EpochAt(step), optimizer, masters, totalSteps, new(skipped, nonFiniteInRow, window));
        if (Writes)
        {
            if (Lora is not null)
            {
                run.SaveAdapter(model, Lora, BaseModelPath);
                LoraModel.Merge(model);
            }
            run.SaveFinalModel(model, TorchRuntimeDtype(), TokenizerSource);
            TrainingPlots.Write(metrics!.FilePath, run.Path);
        }
        // The other ranks return once the model is whole on disk, so nothing reads a half-written run.
        Communicator.Barrier();
        return new TrainingSummary(step, skipped, final, clock.Elapsed);
    }

    /// <summary>Mean metrics of the method over a dataset, without gradients, in micro-batches of the training size.</summary>
    public Dictionary<string, double> Evaluate(IReadOnlyList<TExample> examples)
    {
        model.eval();
        var window = new MetricsWindow();
        using (no_grad())
            for (int start = 0; start < examples.Count; start += settings.BatchSize)
            {
                using var scope = NewDisposeScope();
                var batch = examples.Skip(start).Take(settings.BatchSize).ToList();
                var result = loss.Compute(model, batch);
                window.Add(result.Metrics, result.Loss.item<float>(), weight: batch.Count);
            }
        model.train();
        return window.Mean();
    }

    private readonly record struct RunCounters(int Skipped, int NonFiniteInRow, MetricsWindow Window);

    private void SaveCheckpoint(int step, double epoch, optim.Optimizer optimizer, MasterWeights? masters, int totalSteps, RunCounters counters)
    {
        // Every rank's generator state, so each dropout stream continues where it stopped (a collective: all ranks call it).
        var rankStates = Communicator.Gather(RngState.Capture().TorchCpu, root: 0);
        if (!Writes) return;
        var state = new TrainerState
        {
            GlobalStep = step, Epoch = epoch, MaxSteps = totalSteps, DataSeed = settings.Seed,
            DataPosition = step * Accumulation * Communicator.Size, Rng = new RngState { TorchCpu = rankStates[0] },
            RankRngStates = rankStates.Count > 1 ? rankStates.Skip(1).Select(b => new RngState { TorchCpu = b }).ToList() : null,
            WorldSize = Communicator.Size, GlobalBatchSize = GlobalBatch,
            SkippedSteps = counters.Skipped, NonFiniteInRow = counters.NonFiniteInRow, LogWindow = counters.Window.Save(),
        };
        run.SaveCheckpoint(step, model, (TorchSharp.Modules.OptimizerHelper)optimizer, state, TorchRuntimeDtype(),
            TokenizerSource, settings.SaveTotalLimit, masters, Lora, BaseModelPath);
    }

    private ScalarType TorchRuntimeDtype() => model.Dtype;

    /// <summary>
    /// Refuses to continue <paramref name="checkpoint"/> with another global batch (batch size × gradient accumulation
    /// × ranks): it fixes which examples each step takes, so only the split between ranks and accumulation may change.
    /// </summary>
    public static void RefuseChangedGlobalBatch(string checkpoint, TrainingSettings settings, int ranks)
    {
        var state = TrainerState.Load(Path.Combine(checkpoint, TrainerState.FileName));
        int wanted = settings.BatchSize * settings.GradientAccumulationSteps * ranks;
        if (state.GlobalBatchSize is int saved && saved != wanted)
            throw new SettingException($"«resume» {checkpoint}: trained with a global batch of {saved} " +
                $"(batch size × gradient accumulation × ranks, on {state.WorldSize ?? 1} ranks); this run's is {wanted} " +
                $"({settings.BatchSize} × {settings.GradientAccumulationSteps} × {ranks}); keep the product to continue the run");
    }

    /// <summary>Whether any rank was asked to stop: every rank must leave after the same step.</summary>
    private bool StopAgreed()
    {
        if (Communicator.Size == 1) return Stop.IsCancellationRequested;
        Span<double> requests = [Stop.IsCancellationRequested ? 1 : 0];
        Communicator.AllReduceSum(requests);
        return requests[0] > 0;
    }

    /// <summary>A rank's own dropout seed; rank 0 keeps the run's seed, so one process draws as it always has.</summary>
    private long RankSeed() => settings.Seed + 1_000_003L * Communicator.Rank;

    /// <summary>This rank's saved generator state; a rank the checkpoint did not have starts its own stream.</summary>
    private void RestoreRandomState(TrainerState state)
    {
        int rank = Communicator.Rank;
        if (rank == 0) state.Rng.Restore();
        else if (state.RankRngStates is { } states && rank - 1 < states.Count) states[rank - 1].Restore();
        else random.manual_seed(RankSeed());
    }
}
