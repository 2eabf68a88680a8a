using TorchSharp;

namespace Simper.Training;

/// <summary>The shapes of learning-rate schedule, named as Hugging Face's <c>lr_scheduler_type</c> values.</summary>
public enum SchedulerKind { Cosine, Linear, Constant, ConstantWithWarmup }

/// <summary>
/// The learning-rate multiplier at each optimizer step, computed exactly as Hugging Face transformers'
/// get_cosine_schedule_with_warmup, get_linear_schedule_with_warmup, get_constant_schedule and
/// get_constant_schedule_with_warmup: a linear warmup from 0, then the chosen decay. Steps are 0-based as in
/// PyTorch's LambdaLR, so optimizer step s (the s-th update, counting from 0) uses <c>base_lr * Multiplier(s)</c>.
/// </summary>
public sealed class LearningRateSchedule
{
    public SchedulerKind Kind { get; }
    public int TotalSteps { get; }
    public int WarmupSteps { get; }

    public LearningRateSchedule(SchedulerKind kind, int totalSteps, int warmupSteps)
    {
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "must be at least 1");
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "must not be negative");
        Kind = kind;
        TotalSteps = totalSteps;
        WarmupSteps = warmupSteps;
    }

    /// <summary>
    /// Builds a schedule whose warmup is either an explicit step count (when positive) or a ratio of the total,
    /// rounded up as Hugging Face's TrainingArguments.get_warmup_steps does.
    /// </summary>
    public static LearningRateSchedule Create(SchedulerKind kind, int totalSteps, double warmupRatio, int warmupSteps = 0) =>
        new(kind, totalSteps, WarmupStepsFor(totalSteps, warmupRatio, warmupSteps));

    public static int WarmupStepsFor(int totalSteps, double warmupRatio, int warmupSteps) =>
        warmupSteps > 0 ? warmupSteps : (int)Math.Ceiling(totalSteps * warmupRatio);

    /// <summary>The factor applied to the base learning rate at 0-based optimizer step <paramref name="step"/>.</summary>
    public double Multiplier(int step)
    {
        if (Kind == SchedulerKind.Constant) return 1.0;
        if (step < WarmupSteps) return (double)step / Math.Max(1, WarmupSteps);
        return Kind switch
        {
            SchedulerKind.ConstantWithWarmup => 1.0,
            SchedulerKind.Linear => Math.Max(0.0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps)),
            // num_cycles = 0.5: half a cosine wave from 1 down to 0 over the steps after warmup.
            SchedulerKind.Cosine => Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * 2.0 * 0.5 * Progress(step)))),
            _ => throw new InvalidOperationException($"unhandled scheduler {Kind}"),
        };
    }

    private double Progress(int step) => (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);

    /// <summary>
    /// Sets every parameter group's learning rate to its initial (peak) rate times <see cref="Multiplier"/>,
    /// as LambdaLR does. Call it before each <c>optimizer.step()</c> with that step's 0-based index.
    /// Returns the learning rate of the first group (the value to log).
    /// </summary>
    public double Apply(torch.optim.Optimizer optimizer, int step)
    {
        var multiplier = Multiplier(step);
        double? first = null;
        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = group.InitialLearningRate * multiplier;
            first ??= group.LearningRate;
        }
        return first ?? throw new ArgumentException("the optimizer has no parameter groups", nameof(optimizer));
    }

    /// <summary>Parses a Hugging Face scheduler name: cosine, linear, constant, constant_with_warmup.</summary>
    public static bool TryParseKind(string name, out SchedulerKind kind)
    {
        switch (name.Trim().ToLowerInvariant().Replace('-', '_'))
        {
            case "cosine": kind = SchedulerKind.Cosine; return true;
            case "linear": kind = SchedulerKind.Linear; return true;
            case "constant": kind = SchedulerKind.Constant; return true;
            case "constant_with_warmup": kind = SchedulerKind.ConstantWithWarmup; return true;
            default: kind = default; return false;
        }
    }

    public static readonly IReadOnlyList<string> KindNames = ["cosine", "linear", "constant", "constant_with_warmup"];
}
