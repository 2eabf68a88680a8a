using Simper.Checkpoints;
using Simper.Data;
using Simper.Distributed;
using Simper.Lora;
using Simper.Models;
using Simper.Objectives;
using Simper.Runtime;
using Simper.Text;
using Simper.Training.Losses;

namespace Simper.Training;

/// <summary>
/// A whole training run as the command line describes it: the model and data to read, the folder to write, and the
/// settings. <see cref="Run"/> checks every input (data, model, reference) before it creates anything in the output
/// folder, so a mistake costs nothing and leaves nothing half-written.
/// </summary>
public sealed record TrainingJob
{
    /// <summary>The starting model, opened once (<see cref="ModelFolder.Open"/>).</summary>
    public required ModelFolder Model { get; init; }
    public required string DataPath { get; init; }
    public required string OutputPath { get; init; }
    public TrainingSettings Settings { get; init; } = new();
    public DataOptions Data { get; init; } = new();
    /// <summary>Evaluation data: a file or folder, or the training path with another split.</summary>
    public string? EvalDataPath { get; init; }
    public string? EvalSplit { get; init; }
    /// <summary>Reference model for methods that need one; the starting policy when null.</summary>
    public ModelFolder? ReferenceModel { get; init; }
    public bool Overwrite { get; init; }
    /// <summary>"latest" or a checkpoint folder to continue from; null starts afresh.</summary>
    public string? Resume { get; init; }

    /// <summary>The ranks training together: under mpirun Open MPI's, otherwise the lone process.</summary>
    public ICommunicator? Communicator { get; init; }

    private ICommunicator Ranks => Communicator ?? Communicators.World;

    /// <summary>Stops the run after its current step with a checkpoint (see <see cref="Trainer{TExample}.Stop"/>).</summary>
    public CancellationToken Stop { get; init; }

    public TrainingSummary Run(IProgressSink progress, TextWriter log)
    {
        // Rank 0 alone reports; the others would repeat it line for line.
        if (Ranks.Rank != 0) (progress, log) = (new SilentProgress(), TextWriter.Null);
        var settings = Settings;
        settings.Validate("settings");
        TorchRuntime.SetThreads(settings.Threads);
        var device = TorchRuntime.ParseDevice(settings.Device);
        var dtype = settings.DType;
        var config = Model.Config;
        // Positions beyond max_position_embeddings were never trained (and break rotary scaling); cap sequences there.
        var maxLength = Math.Min(settings.MaxLength, config.MaxPositionEmbeddings);
        var truncation = new TruncationOptions(maxLength, Math.Min(settings.EffectiveMaxPromptLength, maxLength - 1), settings.KeepPromptEnd);
        var text = Model.TryEncoder();
        var vocabSize = config.VocabSize;
        var encoder = new ExampleEncoder(text, truncation) { VocabSize = vocabSize };
        var evalEncoder = new ExampleEncoder(text, truncation) { VocabSize = vocabSize };
        var evalPath = EvalDataPath ?? (EvalSplit is null ? null : DataPath);
        var evalOptions = Data with { Split = EvalSplit ?? Data.Split };

        return settings.Objective switch
        {
            null => Train(progress, log, device, dtype,
                encoder.EncodeSft(Loaded(DatasetLoader.LoadSft(DataPath, Data))),
                evalPath is null ? null : evalEncoder.EncodeSft(Loaded(DatasetLoader.LoadSft(evalPath, evalOptions))),
                encoder.Report, (policy, pad) => new SftBatchLoss(pad, settings.PaddingFree)),
            { Unpaired: true } => Train(progress, log, device, dtype,
                encoder.EncodeUnpaired(Loaded(DatasetLoader.LoadUnpaired(DataPath, Data))),
                evalPath is null ? null : evalEncoder.EncodeUnpaired(Loaded(DatasetLoader.LoadUnpaired(evalPath, evalOptions))),
                encoder.Report, (policy, pad) => new UnpairedBatchLoss(Objective(), Reference(device, dtype), pad, settings.PaddingFree)),
            _ => TrainPairs(progress, log, device, dtype, encoder, evalEncoder, evalPath, evalOptions),
        };
    }

    private TrainingSummary TrainPairs(IProgressSink progress, TextWriter log, TorchSharp.torch.Device device,
        TorchSharp.torch.ScalarType dtype, ExampleEncoder encoder, ExampleEncoder evalEncoder, string? evalPath, DataOptions evalOptions)
    {
        var objective = Objective();
        var train = encoder.EncodePairs(Loaded(DatasetLoader.LoadPreferences(DataPath, Data)));
        var eval = evalPath is null ? null : evalEncoder.EncodePairs(Loaded(DatasetLoader.LoadPreferences(evalPath, evalOptions)));
        bool precomputed = train.All(p => p.RefChosenLogps is not null && p.RefRejectedLogps is not null)
                           && (eval ?? []).All(p => p.RefChosenLogps is not null && p.RefRejectedLogps is not null);
        return Train(progress, log, device, dtype, train, eval, encoder.Report, (policy, pad) =>
        {
            ReferenceLogProbs? reference = !objective.NeedsReference ? null
                : precomputed && ReferenceModel is null ? ReferenceLogProbs.FromData : Reference(device, dtype);
            return new PreferenceBatchLoss(objective, reference, pad, Settings.Packing);
        });
    }

    private TrainingSummary Train<TExample>(IProgressSink progress, TextWriter log, TorchSharp.torch.Device device,
        TorchSharp.torch.ScalarType dtype, IReadOnlyList<TExample> train, IReadOnlyList<TExample>? eval, EncodingReport report,
        Func<LlamaForCausalLM, int, IBatchLoss<TExample>> makeLoss)
    {
        if (train.Count == 0)
            throw new SettingException($"{DataPath}: no example fits «max_length» {Settings.MaxLength}" +
                                      (report.DroppedRows.Count > 0 ? $" (first dropped at {report.DroppedRows[0]})" : ""));
        var resumeProbe = Resume is null ? null : ResumePath();
        if (resumeProbe is not null) Trainer<TExample>.RefuseChangedGlobalBatch(resumeProbe, Settings, Ranks.Size);
        var lora = Settings.Lora;
        // A LoRA checkpoint holds only the adapters (as Hugging Face's Trainer saves a PEFT model): the base is reread.
        var policy = lora is null && resumeProbe is not null ? PretrainedModel.Load(resumeProbe, dtype, device).Model : Model.LoadModel(dtype, device);
        policy.model.GradientCheckpointing = Settings.GradientCheckpointing;
        // The seed fixes adapter initialisation and dropout; a resumed run then restores the checkpoint's generator state.
        TorchSharp.torch.random.manual_seed(Settings.Seed);
        if (lora is not null)
        {
            if (resumeProbe is null) LoraModel.Apply(policy, lora);
            else LoraModel.LoadAdapter(policy, resumeProbe);
            log.WriteLine($"LoRA r={lora.Rank} on {string.Join(",", lora.ForModel(policy.Config).ExpandedTargets)}: {LoraModel.CountParameters(policy)}");
        }
        var loss = makeLoss(policy, policy.Config.PaddingId);
        var run = Ranks.Rank == 0 ? RunFolder.Open(OutputPath, Overwrite, resume: Resume is not null) : RunFolder.Attach(OutputPath);
        if (Resume is null && Ranks.Rank == 0) TrainingRecipe.Save(AsUsed(Settings), run.File(RunFolder.SettingsFile), Ranks.Size);
        log.Write(_dataNotes);
        if (report.MovedQuestionWarning() is { } warning) log.WriteLine(warning);
        // One count of the data: the examples trained on, with what truncation did to them.
        if (Ranks.Size > 1)
            log.WriteLine($"data-parallel on {Ranks.Size} ranks: global batch {Settings.BatchSize} × {Settings.GradientAccumulationSteps} × {Ranks.Size} = " +
                          $"{Settings.BatchSize * Settings.GradientAccumulationSteps * Ranks.Size} examples per step");
        log.WriteLine($"training {Settings.Method} on {train.Count} examples" + (eval is null ? "" : $", evaluating on {eval.Count}") +
                      $"; {report.Changes()}; writing to {run.Path}");
        // A float32 checkpoint trained in bfloat16: the masters start from its float32 values, not the rounded ones.
        using var fullPrecision = lora is null && resumeProbe is null ? FullPrecisionWeights.Open(Model.Path, dtype) : null;
        var trainer = new Trainer<TExample>(policy, loss, Settings, run, progress)
        {
            MasterStart = fullPrecision is null ? null : fullPrecision.Read,
            TokenizerSource = Model.Tokenizer is null ? null : Model.Path,
            ResumeFrom = resumeProbe,
            Lora = lora,
            BaseModelPath = Model.Path,
            Communicator = Ranks,
            Stop = Stop,
        };
        try
        {
            return trainer.Train(train, eval);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk or a folder made read-only mid-run: checkpoints are renamed into place whole, so the newest
            // one listed is complete.
            string? kept = null;
            try { kept = run.Checkpoints().LastOrDefault().Path; } catch (IOException) { } // the folder itself may be gone
            throw new SettingException($"«output» {OutputPath}: could not write the run ({e.Message.TrimEnd('.')}); " +
                (kept is null ? "no complete checkpoint is left" : $"the last complete checkpoint is {kept}"), e);
        }
    }

    /// <summary>
    /// The settings as the run applies them, for training_settings.json: the prompt limit it derived and every
    /// hyperparameter of the method, the catalog's defaults included, so the file alone says what the run did.
    /// </summary>
    private static TrainingSettings AsUsed(TrainingSettings settings)
    {
        var used = settings.Clone();
        used.MaxPromptLength = settings.EffectiveMaxPromptLength;
        used.Hyperparameters.Clear();
        foreach (var (name, value) in settings.EffectiveHyperparameters()) used.Hyperparameters[name] = value;
        return used;
    }

    private string ResumePath()
    {
        if (!Directory.Exists(OutputPath)) throw new SettingException($"«resume»: {OutputPath} does not exist; nothing to resume");
        // Rank 0 clears a crashed run's leftovers; the others only read the checkpoint it resolves to.
        var folder = Ranks.Rank == 0 ? RunFolder.Open(OutputPath, overwrite: false, resume: true) : RunFolder.Attach(OutputPath);
        return folder.ResolveResume(Resume!);
    }

    private IPreferenceObjective Objective() => Settings.Objective!.Create(Settings.Hyperparameters);

    /// <summary>
    /// The reference model: --ref-model, or the starting model — which, when LoRA trains adapters on it, is the policy
    /// itself with its adapters bypassed rather than a second copy.
    /// </summary>
    private ReferenceLogProbs Reference(TorchSharp.torch.Device device, TorchSharp.torch.ScalarType dtype) =>
        ReferenceModel is null && Settings.Lora is not null ? ReferenceLogProbs.FromPolicyBase
            : ReferenceLogProbs.FromModel((ReferenceModel ?? Model).LoadModel(dtype, device));

    // Notes about the data are printed once every input has been checked, so a failing run prints its error alone.
    private readonly StringWriter _dataNotes = new();

    private IReadOnlyList<T> Loaded<T>(DatasetLoadResult<T> result)
    {
        if (result.SkippedRows > 0)
            _dataNotes.WriteLine($"skipped {result.SkippedRows} bad rows; first: {result.Problems.FirstOrDefault()}");
        return result.Examples;
    }
}

/// <summary>Progress of a rank other than 0: the run's progress is rank 0's to print.</summary>
internal sealed class SilentProgress : IProgressSink
{
    public void Report(ProgressUpdate update) { }
    public void Finish() { }
}
