using System.CommandLine;
using System.Runtime.InteropServices;
using Simper.Checkpoints;
using Simper.Objectives;
using Simper.Training;

namespace Simper.Cli.Commands;

/// <summary>
/// `simper train` (preference methods) and `simper sft` (supervised fine-tuning): one trainer, options generated from
/// the library's option table and objective catalog, so names, defaults and help are written once.
/// </summary>
internal static class TrainCommand
{
    /// <summary>The exit status of a run stopped by SIGTERM (128 + 15, as a shell reports it), checkpoint saved.</summary>
    public const int TerminatedExitCode = 143;

    public static Command Create(string name)
    {
        bool sft = name == TrainingSettings.SftMethod;
        var command = new Command(name, sft
            ? "Supervised fine-tuning on prompt/completion, text or messages data. Example: simper sft --model base --data sft.jsonl --output sft-model"
            : "Align a model with preference data (SimPER by default). Example: simper train --model sft-model --data pairs.jsonl --output aligned");
        var model = CommonOptions.Model();
        var data = new Option<string>("--data") { Description = "Training data: JSONL, JSON, Parquet (optionally .gz), or a folder of them", Required = true };
        var output = CommonOptions.Output("Run folder: final model, checkpoints, metrics.jsonl, TensorBoard events, plots");
        var dataOptions = new DataOptionsBinding();
        var evalData = new Option<string?>("--eval-data") { Description = "Evaluation data (file or folder); evaluated at --eval-steps and at the end" };
        var evalSplit = new Option<string?>("--eval-split") { Description = "Evaluation split of --data (or of --eval-data), e.g. test" };
        var refModel = new Option<string?>("--ref-model") { Description = "Reference model for dpo, ipo and kto (default: the starting model, frozen)" };
        var recipe = new Option<string?>("--config") { Description = "YAML or JSON recipe with any of these options; the command line overrides it" };
        var exportGguf = new Option<string?>("--export-gguf") { Description = "Also write the trained model as model.gguf in --output (f32, f16, bf16, q8_0, q4_k_m), and a LoRA run's adapter as adapter.gguf" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the contents of a non-empty --output folder" };
        var resume = new Option<string?>("--resume")
        {
            Description = "Continue the run in --output from its latest checkpoint, or from the named checkpoint folder",
            Arity = ArgumentArity.ZeroOrOne,
        };
        command.Options.Add(model);
        foreach (var option in new Option[] { data, output, evalData, evalSplit, refModel, recipe, overwrite, resume, exportGguf })
            command.Options.Add(option);
        dataOptions.AddTo(command);

        var settingOptions = TrainingSettings.Options
            .Where(o => !(sft && o.Name == "method"))
            .Select(o => (Setting: o, Option: new Option<string?>("--" + o.Name) { Description = $"{o.Help} (default: {TrainingOption.Format(o.DefaultValue)})" }))
            .ToList();
        foreach (var (_, option) in settingOptions) command.Options.Add(option);
        var hyperparameterOptions = sft ? new Dictionary<string, Option<double?>>() : CommonOptions.Hyperparameters();
        foreach (var option in hyperparameterOptions.Values) command.Options.Add(option);

        command.SetAction(parse =>
        {
            var settings = parse.GetValue(recipe) is { } path ? TrainingRecipe.Load(path) : new TrainingSettings();
            if (sft) settings.Method = TrainingMethod.Sft;
            foreach (var (setting, option) in settingOptions)
                if (parse.GetValue(option) is { } text) settings.Set(setting.Name, text, "--" + setting.Name);
            foreach (var (hyperparameter, option) in hyperparameterOptions)
                if (parse.GetValue(option) is { } value) settings.Hyperparameters[hyperparameter] = value;
            settings.Validate("command line");
            var ggufType = parse.GetValue(exportGguf) is { } typeName ? Simper.Export.GgufExportType.Parse(typeName, "--export-gguf") : null;
            var resumeGiven = parse.GetResult(resume) is not null;
            using var stop = new CancellationTokenSource();
            var job = new TrainingJob
            {
                Model = ModelFolder.Open(parse.GetValue(model)!),
                DataPath = parse.GetValue(data)!,
                OutputPath = parse.GetValue(output)!,
                Settings = settings,
                Data = dataOptions.Read(parse),
                EvalDataPath = parse.GetValue(evalData),
                EvalSplit = parse.GetValue(evalSplit),
                ReferenceModel = parse.GetValue(refModel) is { } refPath ? ModelFolder.Open(refPath) : null,
                Overwrite = parse.GetValue(overwrite),
                Resume = resumeGiven ? parse.GetValue(resume) ?? "latest" : null,
                Stop = stop.Token,
            };
            // SIGTERM (a scheduler's time limit, a preempted machine) ends the step under way and saves a checkpoint.
            using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
            {
                signal.Cancel = true;
                stop.Cancel();
            });
            var summary = ProgressSinks.Run(sink => job.Run(sink, Console.Error));
            if (summary.StoppedAt is { } checkpoint)
            {
                if (Simper.Distributed.Communicators.EnvironmentRank == 0)
                    Console.Error.WriteLine($"stopped by SIGTERM after step {summary.Steps}; checkpoint saved in {checkpoint}; " +
                                            "continue with the same command plus --resume");
                return TerminatedExitCode;
            }
            // Under mpirun rank 0 alone wrote the model, and alone reports and exports it.
            if (Simper.Distributed.Communicators.EnvironmentRank != 0) return 0;
            Console.Error.WriteLine($"done: {summary.Steps} steps in {summary.Duration:hh\\:mm\\:ss}" +
                                    (summary.SkippedSteps > 0 ? $", {summary.SkippedSteps} skipped (non-finite)" : "") +
                                    $"; model saved in {job.OutputPath}");
            if (ggufType != null) GgufExport.Run(job.OutputPath, job.Model.Path, ggufType);
            return 0;
        });
        return command;
    }
}
