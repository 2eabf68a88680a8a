using Simper.Lora;
using Simper.Runtime;
using Simper.Scoring;
using static TorchSharp.torch;

namespace Simper.Training;

/// <summary>
/// Every trainer option with its default. Defaults follow the SimPER paper (AdamW, cosine schedule, 10% warmup,
/// one epoch, effective batch 128) except the learning rate, which is sized for small models (see its help).
/// Values come from the defaults, then a recipe (<see cref="TrainingRecipe"/>), then the command line.
/// </summary>
public sealed class TrainingSettings
{
    public const string SftMethod = "sft";

    /// <summary>The preference objectives of the catalog, then supervised fine-tuning.</summary>
    public static readonly IReadOnlyList<string> Methods = [.. TrainingMethod.All.Select(m => m.Name)];
    public static readonly IReadOnlyList<string> Devices = ["cpu", "cuda"];

    // The names of typed choices, as recipes, the command line and training_settings.json write them.
    private static readonly (string, TruncationMode)[] TruncationNames = [("keep_end", Training.TruncationMode.KeepEnd), ("keep_start", Training.TruncationMode.KeepStart)];
    private static readonly (string, ScalarType)[] DtypeNames = [("float32", ScalarType.Float32), ("bfloat16", ScalarType.BFloat16)];
    private static readonly (string, PairPacking)[] PackingNames =
    [
        ("padded", PairPacking.Padded), ("shared-prompt", PairPacking.SharedPrompt), ("padding-free", PairPacking.PaddingFree),
        ("shared-prompt-padding-free", PairPacking.SharedPromptPaddingFree),
    ];
    private static readonly (string, SaveStrategy)[] SaveStrategyNames = [("steps", Training.SaveStrategy.Steps), ("no", Training.SaveStrategy.No)];
    private static readonly (string, SchedulerKind)[] SchedulerNames =
        [.. LearningRateSchedule.KindNames.Select(n => (n, LearningRateSchedule.TryParseKind(n, out var kind) ? kind : throw new InvalidOperationException(n)))];

    /// <summary>The prompt limit when max-prompt-length is not set: TRL's 256, or half of max-length when that is shorter.</summary>
    public const int DefaultMaxPromptLength = 256;

    public TrainingMethod Method { get; set; } = null!;
    public int BatchSize { get; set; }
    public int GradientAccumulationSteps { get; set; }
    public double LearningRate { get; set; }
    public double Epochs { get; set; }
    public int MaxSteps { get; set; }
    public double WarmupRatio { get; set; }
    public int WarmupSteps { get; set; }
    public SchedulerKind LrScheduler { get; set; }
    public double WeightDecay { get; set; }
    public double AdamBeta1 { get; set; }
    public double AdamBeta2 { get; set; }
    public double AdamEpsilon { get; set; }
    public double MaxGradNorm { get; set; }
    public int Seed { get; set; }
    public int LoggingSteps { get; set; }
    public int SaveSteps { get; set; }
    public SaveStrategy SaveStrategy { get; set; }
    public int SaveTotalLimit { get; set; }
    public int EvalSteps { get; set; }
    public int MaxLength { get; set; }
    public int MaxPromptLength { get; set; }
    public TruncationMode TruncationMode { get; set; }
    public ScalarType DType { get; set; }
    public string Device { get; set; } = null!;
    public int Threads { get; set; }
    /// <summary>The layout of preference pairs (and, padding-free, of single sequences) in the forward pass.</summary>
    public PairPacking Packing { get; set; }
    public bool GradientCheckpointing { get; set; }
    public int LoraRank { get; set; }
    public double LoraAlpha { get; set; }
    public double LoraDropout { get; set; }
    public string LoraTargetModules { get; set; } = null!;

    /// <summary>Whether single sequences (SFT, KTO) run back to back in one packed row rather than a padded batch.</summary>
    public bool PaddingFree => Packing is PairPacking.PaddingFree or PairPacking.SharedPromptPaddingFree;

    /// <summary>The preference objective of <see cref="Method"/> from the catalog; null for supervised fine-tuning.</summary>
    public Objectives.ObjectiveInfo? Objective => Method.Objective;

    public bool IsSft => Method.IsSft;

    /// <summary>Whether over-long prompts keep their end (the latest turns) rather than their start.</summary>
    public bool KeepPromptEnd => TruncationMode == TruncationMode.KeepEnd;

    /// <summary>Whether checkpoint-N folders are written during and at the end of the run (save-strategy steps).</summary>
    public bool SavesCheckpoints => SaveStrategy == SaveStrategy.Steps;

    /// <summary>max-prompt-length as set, or min(256, max-length / 2) when it is 0 (not set).</summary>
    public int EffectiveMaxPromptLength => MaxPromptLength > 0 ? MaxPromptLength : Math.Min(DefaultMaxPromptLength, MaxLength / 2);

    /// <summary>
    /// Every hyperparameter of the method with the value a run uses: the catalog's default unless set. Empty for sft.
    /// </summary>
    public IReadOnlyDictionary<string, double> EffectiveHyperparameters()
    {
        var values = new SortedDictionary<string, double>(StringComparer.Ordinal);
        if (Objective is not { } objective) return values;
        foreach (var h in objective.Hyperparameters)
            values[h.Name] = Hyperparameters.FirstOrDefault(p => string.Equals(p.Key, h.Name, StringComparison.OrdinalIgnoreCase)) is { Key: not null } set
                ? set.Value : h.Default;
        return values;
    }

    /// <summary>A copy whose later changes leave this one as it is.</summary>
    public TrainingSettings Clone()
    {
        var copy = new TrainingSettings();
        foreach (var option in Options) option.SetValue(copy, option.GetValue(this), "copy");
        foreach (var (name, value) in Hyperparameters) copy.Hyperparameters[name] = value;
        return copy;
    }

    /// <summary>The LoRA adapter to train, or null when lora-rank is 0 and the whole model trains.</summary>
    public LoraConfig? Lora => LoraRank == 0 ? null : new LoraConfig
    {
        Rank = LoraRank, Alpha = LoraAlpha, Dropout = LoraDropout,
        TargetModules = LoraTargetModules.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
    };

    /// <summary>
    /// The method's own hyperparameters by name (beta, gamma, ...), as in the method's paper and TRL's config.
    /// A method reads the ones it knows and falls back to its paper's value for the rest.
    /// </summary>
    public Dictionary<string, double> Hyperparameters { get; } = new(StringComparer.Ordinal);

    /// <summary>Pairs (or SFT examples) per optimizer step.</summary>
    public int EffectiveBatchSize => BatchSize * GradientAccumulationSteps;

    public SchedulerKind SchedulerKind => LrScheduler;

    public TrainingSettings()
    {
        foreach (var option in Options) option.SetValue(this, option.DefaultValue, "default");
    }

    /// <summary>The option table: the one place where names, types, defaults, ranges and help are written.</summary>
    public static readonly IReadOnlyList<TrainingOption> Options =
    [
        TrainingOption.Choice("method", TrainingMethod.Find("simper"), [.. TrainingMethod.All.Select(m => (m.Name, m))],
            "Training method: simper (the paper's; no hyperparameters), dpo, ipo, kto, cpo, slic, simpo, orpo, or sft (supervised fine-tuning).",
            s => s.Method, (s, v) => s.Method = v),
        TrainingOption.Integer("batch-size", 4, 1, null,
            "Preference pairs (or SFT examples) per micro-batch; limited by memory.",
            s => s.BatchSize, (s, v) => s.BatchSize = v),
        TrainingOption.Integer("gradient-accumulation-steps", 32, 1, null,
            "Micro-batches accumulated per optimizer step by each process; global batch = batch-size x this x processes (4 x 32 = 128 in one process, the paper's; under mpirun -np N, N times that, as accelerate counts it).",
            s => s.GradientAccumulationSteps, (s, v) => s.GradientAccumulationSteps = v),
        TrainingOption.Number("learning-rate", 5e-6, "a number > 0", v => v > 0,
            "Peak learning rate after warmup. The paper uses 5e-7..1e-6 for 7B models; 5e-6 suits models under 1B trained for few steps on CPU, where those rates barely move the policy.",
            s => s.LearningRate, (s, v) => s.LearningRate = v),
        TrainingOption.Number("epochs", 1.0, "a number > 0", v => v > 0,
            "Passes over the training data (the paper trains one); fractions allowed.",
            s => s.Epochs, (s, v) => s.Epochs = v),
        TrainingOption.Integer("max-steps", -1, -1, null,
            "Stop after this many optimizer steps, overriding epochs; -1 derives the count from epochs.",
            s => s.MaxSteps, (s, v) => s.MaxSteps = v),
        TrainingOption.Number("warmup-ratio", 0.1, "a number from 0 to 1", v => v is >= 0 and <= 1,
            "Fraction of the optimizer steps spent warming the learning rate up linearly from 0 (the paper: 0.1).",
            s => s.WarmupRatio, (s, v) => s.WarmupRatio = v),
        TrainingOption.Integer("warmup-steps", 0, 0, null,
            "Warmup length in optimizer steps; when above 0 it replaces warmup-ratio.",
            s => s.WarmupSteps, (s, v) => s.WarmupSteps = v),
        TrainingOption.Choice("lr-scheduler", SchedulerKind.Cosine, SchedulerNames,
            "Learning-rate decay after warmup, as Hugging Face's schedulers (the paper: cosine).",
            s => s.LrScheduler, (s, v) => s.LrScheduler = v),
        TrainingOption.Number("weight-decay", 0.0, "a number >= 0", v => v >= 0,
            "AdamW decoupled weight decay (Hugging Face's default: 0).",
            s => s.WeightDecay, (s, v) => s.WeightDecay = v),
        TrainingOption.Number("adam-beta1", 0.9, "a number from 0 up to (not including) 1", v => v is >= 0 and < 1,
            "AdamW first-moment decay.",
            s => s.AdamBeta1, (s, v) => s.AdamBeta1 = v),
        TrainingOption.Number("adam-beta2", 0.999, "a number from 0 up to (not including) 1", v => v is >= 0 and < 1,
            "AdamW second-moment decay.",
            s => s.AdamBeta2, (s, v) => s.AdamBeta2 = v),
        TrainingOption.Number("adam-epsilon", 1e-8, "a number > 0", v => v > 0,
            "AdamW denominator epsilon.",
            s => s.AdamEpsilon, (s, v) => s.AdamEpsilon = v),
        TrainingOption.Number("max-grad-norm", 1.0, "a number >= 0", v => v >= 0,
            "Clip the global gradient norm to this before each update; 0 disables clipping.",
            s => s.MaxGradNorm, (s, v) => s.MaxGradNorm = v),
        TrainingOption.Integer("seed", 42, 0, null,
            "Seed for weight initialisation, dropout and the data order.",
            s => s.Seed, (s, v) => s.Seed = v),
        TrainingOption.Integer("logging-steps", 10, 1, null,
            "Write metrics (metrics.jsonl, TensorBoard) every this many optimizer steps.",
            s => s.LoggingSteps, (s, v) => s.LoggingSteps = v),
        TrainingOption.Integer("save-steps", 500, 0, null,
            "Save a checkpoint every this many optimizer steps; 0 saves only at the end.",
            s => s.SaveSteps, (s, v) => s.SaveSteps = v),
        TrainingOption.Choice("save-strategy", Training.SaveStrategy.Steps, SaveStrategyNames,
            "steps: write resumable checkpoint-N folders (model, optimizer, trainer state) as save-steps says; no: none, only the final model.",
            s => s.SaveStrategy, (s, v) => s.SaveStrategy = v),
        TrainingOption.Integer("save-total-limit", 2, 0, null,
            "Keep at most this many checkpoints, deleting the oldest; 0 keeps all.",
            s => s.SaveTotalLimit, (s, v) => s.SaveTotalLimit = v),
        TrainingOption.Integer("eval-steps", 0, 0, null,
            "Evaluate on the evaluation split every this many optimizer steps; 0 evaluates only at the end.",
            s => s.EvalSteps, (s, v) => s.EvalSteps = v),
        TrainingOption.Integer("max-length", 512, 2, null,
            "Maximum tokens of prompt plus response; longer examples are truncated.",
            s => s.MaxLength, (s, v) => s.MaxLength = v),
        TrainingOption.Integer("max-prompt-length", 0, 0, null,
            "Maximum prompt tokens, applied before max-length; must be below max-length. 0: min(256, max-length / 2).",
            s => s.MaxPromptLength, (s, v) => s.MaxPromptLength = v),
        TrainingOption.Choice("truncation-mode", Training.TruncationMode.KeepEnd, TruncationNames,
            "Which end of an over-long prompt to keep: keep_end (the latest turns, TRL's default) or keep_start.",
            s => s.TruncationMode, (s, v) => s.TruncationMode = v),
        TrainingOption.Choice("dtype", ScalarType.Float32, DtypeNames,
            "Parameter and compute type; bfloat16 halves memory at lower precision.",
            s => s.DType, (s, v) => s.DType = v),
        TrainingOption.Choice("device", "cpu", Devices,
            "Where tensors live: cpu, or cuda with a CUDA build of libtorch.",
            s => s.Device, (s, v) => s.Device = v),
        TrainingOption.Integer("threads", 0, 0, null,
            "CPU threads for libtorch; 0 keeps libtorch's default (one per core), or under mpirun this rank's share: the cores it may use divided by the ranks on its machine.",
            s => s.Threads, (s, v) => s.Threads = v),
        TrainingOption.Choice("packing", PairPacking.SharedPromptPaddingFree, PackingNames,
            "Forward layout; all give the same losses and gradients. padded: one right-padded row per sequence; shared-prompt: each pair's prompt computed once; padding-free: the micro-batch back to back in one row; shared-prompt-padding-free (fastest): both. SFT and KTO rows are packed when padding-free.",
            s => s.Packing, (s, v) => s.Packing = v),
        TrainingOption.Switch("gradient-checkpointing", false,
            "Recompute each decoder layer but the last in the backward pass instead of keeping its activations, and run the output head in chunks instead of keeping its logits: less memory, most of one more forward pass of time.",
            s => s.GradientCheckpointing, (s, v) => s.GradientCheckpointing = v),
        TrainingOption.Integer("lora-rank", 0, 0, null,
            "LoRA rank r: train low-rank adapters only and save them in PEFT's layout (adapter/) beside the merged model; 0 trains every weight.",
            s => s.LoraRank, (s, v) => s.LoraRank = v),
        TrainingOption.Number("lora-alpha", 32, "a number > 0", v => v > 0,
            "LoRA alpha; the adapter's update is scaled by alpha / r.",
            s => s.LoraAlpha, (s, v) => s.LoraAlpha = v),
        TrainingOption.Number("lora-dropout", 0.05, "a number from 0 up to (not including) 1", v => v is >= 0 and < 1,
            "Dropout on the adapters' input while training.",
            s => s.LoraDropout, (s, v) => s.LoraDropout = v),
        TrainingOption.Text("lora-target-modules", "q_proj,v_proj", "a comma-separated list of module names, e.g. q_proj,v_proj, or all-linear",
            v => v.Split(',').All(name => name.Trim() is { Length: > 0 } n && n.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')),
            "Projections that get an adapter (PEFT's default for Llama: q_proj,v_proj); all-linear adapts all seven.",
            s => s.LoraTargetModules, (s, v) => s.LoraTargetModules = v),
    ];

    private static readonly Dictionary<string, TrainingOption> ByName =
        Options.ToDictionary(o => o.Name, StringComparer.Ordinal);

    /// <summary>Finds an option by its kebab-case or snake_case name; null when there is none.</summary>
    public static TrainingOption? Find(string name) =>
        ByName.GetValueOrDefault(name.Trim().Replace('_', '-').ToLowerInvariant());

    /// <summary>Sets an option from text, e.g. a command-line value; <paramref name="origin"/> names it in errors.</summary>
    public void Set(string name, string text, string origin)
    {
        var option = Find(name) ?? throw new SimperException(
            $"{origin}: unknown option '{name}'; expected one of {string.Join(", ", Options.Select(o => o.Name))} or hyperparameters");
        option.SetText(this, text, origin);
    }

    /// <summary>Sets a method hyperparameter from <c>name=value</c> text (e.g. <c>beta=0.1</c>).</summary>
    public void SetHyperparameter(string assignment, string origin)
    {
        var parts = assignment.Split('=', 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || parts[0].Length == 0 || !TryParseFinite(parts[1], out var value))
            throw new SimperException($"{origin}: '{assignment}' is not a hyperparameter; expected name=number, e.g. beta=0.1");
        Hyperparameters[parts[0]] = value;
    }

    internal static bool TryParseFinite(string text, out double value) =>
        double.TryParse(text.Trim(), System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>Checks the rules that involve several options; each option's own range is checked when it is set.</summary>
    /// <param name="origin">Where the settings came from (recipe file or "command line"), named in the error.</param>
    public void Validate(string origin)
    {
        if (MaxPromptLength > 0 && MaxPromptLength >= MaxLength)
            throw new SimperException(
                $"{origin}: max-prompt-length {MaxPromptLength} must be below max-length {MaxLength} to leave room for the response");
        if (MaxSteps == 0)
            throw new SimperException($"{origin}: max-steps 0 would train nothing; expected -1 (use epochs) or an integer >= 1");
    }
}

/// <summary>Which end of an over-long prompt is kept.</summary>
public enum TruncationMode { KeepEnd, KeepStart }

/// <summary>Whether a run writes resumable checkpoint-N folders (Hugging Face's save_strategy "steps") or none ("no").</summary>
public enum SaveStrategy { Steps, No }
