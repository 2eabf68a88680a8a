using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Simper.Checkpoints;
using Simper.Demo.Report;
using Simper.Demo.Tasks;
using Simper.Generation;
using Simper.Text;
using Simper.Training;
using TorchSharp;

namespace Simper.Demo;

/// <summary>
/// The demo end to end: a base model from scratch, supervised fine-tuning on flawed demonstrations, preference pairs
/// from the model's own samples, alignment with each method at each learning rate, greedy accuracy on held-out
/// prompts, and the report. Every stage is the library code behind a CLI command, and the report lists those
/// commands so any stage can be rerun from the files written here.
/// </summary>
/// <param name="simper">
/// How to start a `simper` command as a child process (the command line passes its own executable). With it, the
/// alignment runs go side by side, each in a process of its own; without it, they run one after another in this one.
/// </param>
public sealed class DemoPipeline(DemoSettings settings, string output, TextWriter log,
    Func<IReadOnlyList<string>, ProcessStartInfo>? simper = null)
{
    private readonly List<string> _commands = [];
    private readonly Stopwatch _clock = new();
    private int _stage;

    private string DataDir => Path.Combine(output, "data");
    private string BaseDir => Path.Combine(output, "base");
    private string SftDir => Path.Combine(output, "sft");
    private string ScoresDir => Path.Combine(output, "scores");
    private string Samples => Path.Combine(DataDir, "samples.jsonl");
    private string Pairs => Path.Combine(DataDir, "pairs.jsonl");
    private string EvalPrompts => Path.Combine(DataDir, DemoData.EvalPromptsFile);
    private int TotalStages => 7 + 2 * settings.Methods.Count * settings.LearningRates.Count;

    public DemoResults Run()
    {
        _clock.Start();
        torch.set_num_threads(settings.Threads);
        Directory.CreateDirectory(output);
        // Scores of an earlier demo in this folder would otherwise join this report.
        if (Directory.Exists(ScoresDir)) Directory.Delete(ScoresDir, recursive: true);
        Stage("init", $"simper init --output {BaseDir} --hidden-size {settings.Model.HiddenSize} --layers {settings.Model.NumHiddenLayers} " +
                      $"--heads {settings.Model.NumAttentionHeads} --kv-heads {settings.Model.NumKeyValueHeads} --intermediate-size {settings.Model.IntermediateSize} " +
                      $"--max-positions {settings.Model.MaxPositionEmbeddings} --tie-word-embeddings --seed {settings.Seed} --overwrite",
            () => RandomModelFolder.Create(BaseDir, settings.Model, settings.Seed, overwrite: true));
        Stage("data", $"simper demo data --output {DataDir} --seed {settings.Seed} --sft-examples {settings.Data.SftExamplesPerFamily} " +
                      $"--pair-prompts {settings.Data.PairPromptsPerFamily} --eval-prompts {settings.Data.EvalPromptsPerFamily}",
            () => DemoData.Write(DataDir, settings.Data with { Seed = settings.Seed }, TaskCatalog.All));
        Stage("sft", Command("sft", BaseDir, Path.Combine(DataDir, DemoData.SftFile), SftDir, settings.SftLearningRate,
                settings.SftEpochs, settings.SftBatchSize, settings.Threads),
            () => Train(SftJob()));
        Stage("generate", $"simper generate --model {SftDir} --data {Path.Combine(DataDir, DemoData.PairPromptsFile)} --output {Samples} " +
                          $"--num-samples {settings.SamplesPerPrompt} --temperature 1 --max-new-tokens {settings.MaxNewTokens} --seed {settings.Seed}",
            () => SampleJob().Run());
        Stage("pairs", $"simper demo pairs --samples {Samples} --output {Pairs} --seed {settings.Seed}", () =>
        {
            var summary = PreferencePairs.FromSamples(Samples, Pairs, settings.Seed);
            log.WriteLine($"      {summary.Samples} samples, {summary.Correct} right; {summary.Pairs} pairs from {summary.Prompts} prompts");
            if (summary.Pairs == 0) throw new SimperException("the SFT model's samples gave no pair (all right or all wrong); train longer or change --seed");
        });
        Score(DemoResults.SftMethod, null, SftDir);
        AlignAndScore();
        DemoResults results = null!;
        Stage("report", $"simper demo report --output {output}", () =>
        {
            DemoRun.SaveDescription(output, settings.Describe(), _commands);
            results = DemoRun.Read(output);
            DemoReport.Write(results, output);
        });
        log.WriteLine($"done in {_clock.Elapsed:mm\\:ss}; report: {Path.Combine(output, "report.md")}");
        return results;
    }

    private void Stage(string name, string command, Action work)
    {
        _commands.Add(command);
        var started = _clock.Elapsed;
        log.WriteLine($"[{++_stage}/{TotalStages}] {name}");
        work();
        log.WriteLine($"      {name} took {(_clock.Elapsed - started).TotalSeconds:F1} s");
    }

    private void Score(string method, double? lr, string modelDir)
    {
        var (name, command) = ScoreCommand(method, lr, modelDir);
        Stage($"score {name}", command, () => ScoreModel(method, lr, modelDir, log));
    }

    /// <summary>
    /// Every method at every learning rate, trained from the SFT model and scored, each by the two commands the report
    /// lists, on one libtorch thread. With <paramref name="simper"/> they run as child processes,
    /// <see cref="DemoSettings.RunsAtOnce"/> at a time: a model this small keeps one core busy but cannot use a second
    /// one well. Processes, not threads, because TorchSharp leaves the numbers it hands to an op (Scalars) to the
    /// garbage collector: a collection that another run's thread sets off can free one while libtorch still reads it.
    /// A process shares nothing with the others (no generator, no collector, no thread settings), so each run gives
    /// exactly what it gives alone. Each run's output is held until it ends and then printed whole; stages are
    /// numbered and their commands listed in the order of the runs, not of their finishing.
    /// </summary>
    private void AlignAndScore()
    {
        var runs = settings.LearningRates.SelectMany(lr => settings.Methods.Select(method => (Method: method, Lr: lr))).ToList();
        var work = runs.Select((r, i) =>
        {
            var run = Path.Combine(output, DemoRun.RunsFolder, DemoRun.RunName(r.Method, r.Lr));
            var name = DemoRun.RunName(r.Method, r.Lr);
            string[] train = [.. TrainArgs(SftDir, Pairs, run, r.Method, r.Lr, settings.AlignEpochs, settings.AlignBatchSize), "--threads", "1"];
            string[] score = [.. ScoreArgs(r.Method, r.Lr, run), "--threads", "1"];
            _commands.Add(Printed(train));
            _commands.Add(Printed(score));
            var first = _stage + 1 + 2 * i;
            return (Action)(() =>
            {
                var text = new StringWriter();
                try
                {
                    var started = _clock.Elapsed;
                    text.WriteLine($"[{first}/{TotalStages}] train {r.Method} lr {Format(r.Lr)}");
                    if (simper is null) Train(AlignJob(r.Method, r.Lr, run), text);
                    else ChildProcess.Run(simper, train, text);
                    text.WriteLine($"      train {r.Method} lr {Format(r.Lr)} took {(_clock.Elapsed - started).TotalSeconds:F1} s");
                    started = _clock.Elapsed;
                    text.WriteLine($"[{first + 1}/{TotalStages}] score {name}");
                    if (simper is null) { torch.set_num_threads(1); ScoreModel(r.Method, r.Lr, run, TextWriter.Null); }
                    else ChildProcess.Run(simper, score, TextWriter.Null);
                    text.WriteLine(Describe(AccuracyScoring.Read(ScorePath(name))));
                    text.WriteLine($"      score {name} took {(_clock.Elapsed - started).TotalSeconds:F1} s");
                }
                finally
                {
                    lock (log) log.Write(text.ToString());
                }
            });
        }).ToList();
        _stage += 2 * runs.Count;
        var atOnce = simper is null ? 1 : Math.Min(settings.RunsAtOnce, runs.Count);
        log.WriteLine($"aligning {settings.Methods.Count} methods at {settings.LearningRates.Count} learning rates, " +
                      (atOnce == 1 ? "one run at a time" : $"{atOnce} runs at a time") + ", each on one thread");
        if (simper is null) work.ForEach(w => w());
        else SideBySide.Run(work, atOnce);
        torch.set_num_threads(settings.Threads);
    }

    private (string Name, string Command) ScoreCommand(string method, double? lr, string modelDir) =>
        (DemoRun.RunName(method, lr), Printed([.. ScoreArgs(method, lr, modelDir), "--threads", $"{settings.Threads}"]));

    private string[] ScoreArgs(string method, double? lr, string modelDir) =>
    [
        "demo", "score", "--model", modelDir, "--data", EvalPrompts, "--output", ScorePath(DemoRun.RunName(method, lr)),
        "--method", method, .. lr is { } rate ? new[] { "--learning-rate", Exact(rate) } : [],
    ];

    private static string Printed(IEnumerable<string> args) => "simper " + string.Join(' ', args);

    private string ScorePath(string name) => Path.Combine(ScoresDir, name + ".json");

    private void ScoreModel(string method, double? lr, string modelDir, TextWriter writer)
    {
        var result = AccuracyScoring.ScoreModel(modelDir, EvalPrompts, settings.MaxNewTokens);
        var score = new ModelScore(method, lr, result.AccuracyByFamily, result.Prompts);
        AccuracyScoring.Write(ScorePath(DemoRun.RunName(method, lr)), score);
        writer.WriteLine(Describe(score));
    }

    private static string Describe(ModelScore score) =>
        $"      mean accuracy {score.AccuracyByFamily.Values.Average():P1} (" +
        string.Join(", ", score.AccuracyByFamily.Select(kv => $"{kv.Key} {kv.Value:P0}")) + ")";

    private void Train(TrainingJob job, TextWriter? writer = null) =>
        job.Run(new TextProgressSink(writer ?? log, everySteps: 100), TextWriter.Null);

    private TrainingJob SftJob() => Job(TrainingSettings.SftMethod, BaseDir, Path.Combine(DataDir, DemoData.SftFile), SftDir,
        settings.SftLearningRate, settings.SftEpochs, settings.SftBatchSize, settings.Threads);

    private TrainingJob AlignJob(string method, double lr, string run) =>
        Job(method, SftDir, Pairs, run, lr, settings.AlignEpochs, settings.AlignBatchSize, threads: 1);

    private TrainingJob Job(string method, string model, string data, string run, double lr, double epochs, int batch, int threads) => new()
    {
        Model = Checkpoints.ModelFolder.Open(model), DataPath = data, OutputPath = run, Overwrite = true,
        Settings = new TrainingSettings
        {
            Method = method, LearningRate = lr, Epochs = epochs, BatchSize = batch, GradientAccumulationSteps = 1,
            LoggingSteps = 2, SaveSteps = 0, SaveTotalLimit = 1, Seed = settings.Seed, Threads = threads,
            MaxLength = settings.Model.MaxPositionEmbeddings, MaxPromptLength = settings.Model.MaxPositionEmbeddings / 2,
        },
    };

    private string[] TrainArgs(string model, string data, string run, string method, double lr, double epochs, int batch) =>
    [
        "train", "--model", model, "--data", data, "--output", run, "--method", method, .. CommonTrainArgs(lr, epochs, batch),
    ];

    private string Command(string verb, string model, string data, string run, double lr, double epochs, int batch, int threads) =>
        Printed([verb, "--model", model, "--data", data, "--output", run, .. CommonTrainArgs(lr, epochs, batch), "--threads", $"{threads}"]);

    private string[] CommonTrainArgs(double lr, double epochs, int batch) =>
    [
        "--learning-rate", Exact(lr), "--epochs", epochs.ToString(CultureInfo.InvariantCulture), "--batch-size", $"{batch}",
        "--gradient-accumulation-steps", "1", "--logging-steps", "2", "--save-steps", "0", "--seed", $"{settings.Seed}",
        "--max-length", $"{settings.Model.MaxPositionEmbeddings}", "--max-prompt-length", $"{settings.Model.MaxPositionEmbeddings / 2}",
        "--overwrite",
    ];

    /// <summary>The learning rate as <see cref="Format"/> writes it when that reads back as the same number, else in full.</summary>
    private static string Exact(double lr) =>
        double.Parse(Format(lr), CultureInfo.InvariantCulture) == lr ? Format(lr) : lr.ToString("R", CultureInfo.InvariantCulture);

    private GenerationJob SampleJob() => new()
    {
        Model = Checkpoints.ModelFolder.Open(SftDir), DataPath = Path.Combine(DataDir, DemoData.PairPromptsFile), OutputPath = Samples,
        Samples = settings.SamplesPerPrompt, BatchSize = 512,
        Options = new GenerationOptions { DoSample = true, Temperature = 1, MaxNewTokens = settings.MaxNewTokens, Seed = settings.Seed },
    };

    public static string Format(double lr) => lr.ToString("0.#####e+0", CultureInfo.InvariantCulture).Replace("e+", "e");
}
