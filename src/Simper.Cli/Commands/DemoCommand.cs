using System.CommandLine;
using System.Diagnostics;
using System.Reflection;
using System.Globalization;
using System.Text.Json;
using Simper.Demo;
using Simper.Demo.Report;
using Simper.Demo.Tasks;
using Simper.Objectives;
using Simper.Runtime;

namespace Simper.Cli.Commands;

/// <summary>
/// `simper demo`: the verifiable preference benchmark end to end, plus the demo-only stages (`data`, `pairs`,
/// `score`, `report`) so every stage it runs can be rerun by hand from the files it wrote.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var defaults = new DemoSettings();
        var command = new Command("demo",
            "Build a base model, align it with each method at several learning rates and score it on verifiable tasks. Example: simper demo --output demo");
        var output = new Option<string>("--output") { Description = "Folder for models, datasets, runs and the report", DefaultValueFactory = _ => "simper-demo" };
        var seed = CommonOptions.Seed();
        var methods = new Option<string>("--methods")
        {
            Description = $"Comma-separated methods, or 'all' ({string.Join(", ", ObjectiveCatalog.Names)})",
            DefaultValueFactory = _ => defaults.Methods.SequenceEqual(ObjectiveCatalog.Names) ? "all" : string.Join(",", defaults.Methods),
        };
        var rates = new Option<string>("--learning-rates")
        {
            Description = "Comma-separated alignment learning rates, shared by all methods",
            DefaultValueFactory = _ => string.Join(",", defaults.LearningRates.Select(DemoPipeline.Format)),
        };
        var (sftExamples, pairPrompts, evalPrompts) = DataSizeOptions(defaults.Data);
        var samples = new Option<int>("--samples") { Description = "Samples per prompt from the SFT model", DefaultValueFactory = _ => defaults.SamplesPerPrompt };
        var sftEpochs = new Option<double>("--sft-epochs") { Description = "Epochs of supervised fine-tuning", DefaultValueFactory = _ => defaults.SftEpochs };
        var sftRate = new Option<double>("--sft-learning-rate") { Description = "Peak learning rate of supervised fine-tuning", DefaultValueFactory = _ => defaults.SftLearningRate };
        var sftBatch = new Option<int>("--sft-batch-size") { Description = "Demonstrations per step of supervised fine-tuning", DefaultValueFactory = _ => defaults.SftBatchSize };
        var alignEpochs = new Option<double>("--align-epochs") { Description = "Epochs of each alignment run", DefaultValueFactory = _ => defaults.AlignEpochs };
        var hidden = new Option<int>("--hidden-size") { Description = "Hidden size of the base model", DefaultValueFactory = _ => defaults.Model.HiddenSize };
        var layers = new Option<int>("--layers") { Description = "Decoder layers of the base model", DefaultValueFactory = _ => defaults.Model.NumHiddenLayers };
        var threads = new Option<int>("--threads")
        {
            Description = "CPU threads: libtorch's threads for SFT and sampling, and how many alignment runs go side by side (a process and one thread each)",
            DefaultValueFactory = _ => defaults.Threads,
        };
        foreach (var option in new Option[] { output, seed, methods, rates, sftExamples, pairPrompts, evalPrompts, samples, sftEpochs, sftRate, sftBatch, alignEpochs, hidden, layers, threads })
            command.Options.Add(option);
        command.SetAction(parse =>
        {
            var settings = defaults with
            {
                Seed = parse.GetValue(seed),
                Methods = ParseMethods(parse.GetValue(methods)!),
                LearningRates = ParseRates(parse.GetValue(rates)!),
                Threads = parse.GetValue(threads),
                SamplesPerPrompt = parse.GetValue(samples),
                SftEpochs = parse.GetValue(sftEpochs),
                SftLearningRate = parse.GetValue(sftRate),
                SftBatchSize = parse.GetValue(sftBatch),
                AlignEpochs = parse.GetValue(alignEpochs),
                Model = defaults.Model with { HiddenSize = parse.GetValue(hidden), NumHiddenLayers = parse.GetValue(layers) },
                Data = defaults.Data with
                {
                    SftExamplesPerFamily = parse.GetValue(sftExamples),
                    PairPromptsPerFamily = parse.GetValue(pairPrompts),
                    EvalPromptsPerFamily = parse.GetValue(evalPrompts),
                },
            };
            var results = new DemoPipeline(settings, parse.GetValue(output)!, Console.Error, Simper).Run();
            Console.Out.Write(DemoReport.Summary(results));
            return 0;
        });
        command.Subcommands.Add(DataCommand());
        command.Subcommands.Add(PairsCommand());
        command.Subcommands.Add(ScoreCommand());
        command.Subcommands.Add(ReportCommand());
        return command;
    }

    private static Command DataCommand()
    {
        var command = new Command("data", "Write the demo's SFT, pair-prompt and held-out prompt files. Example: simper demo data --output demo/data");
        var output = CommonOptions.Output("Folder for sft.jsonl, pair_prompts.jsonl and eval_prompts.jsonl");
        var seed = CommonOptions.Seed();
        var defaults = new DemoDataSettings();
        var (sftExamples, pairPrompts, evalPrompts) = DataSizeOptions(defaults);
        foreach (var option in new Option[] { output, seed, sftExamples, pairPrompts, evalPrompts }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            DemoData.Write(parse.GetValue(output)!, defaults with
            {
                Seed = parse.GetValue(seed),
                SftExamplesPerFamily = parse.GetValue(sftExamples),
                PairPromptsPerFamily = parse.GetValue(pairPrompts),
                EvalPromptsPerFamily = parse.GetValue(evalPrompts),
            }, TaskCatalog.All);
            return 0;
        });
        return command;
    }

    /// <summary>The dataset sizes, shared by `demo` and `demo data` so the printed data command rebuilds the same files.</summary>
    private static (Option<int> Sft, Option<int> PairPrompts, Option<int> EvalPrompts) DataSizeOptions(DemoDataSettings defaults) => (
        new Option<int>("--sft-examples") { Description = "SFT demonstrations per task family", DefaultValueFactory = _ => defaults.SftExamplesPerFamily },
        new Option<int>("--pair-prompts") { Description = "Prompts per family sampled to build pairs", DefaultValueFactory = _ => defaults.PairPromptsPerFamily },
        new Option<int>("--eval-prompts") { Description = "Held-out prompts per family for the greedy accuracy", DefaultValueFactory = _ => defaults.EvalPromptsPerFamily });

    private static Command PairsCommand()
    {
        var command = new Command("pairs", "Label generated samples with the verifiers and write right-over-wrong pairs. Example: simper demo pairs --samples samples.jsonl --output pairs.jsonl");
        var samplesFile = new Option<string>("--samples") { Description = "Output of simper generate --data (prompt, completion rows)", Required = true };
        var output = CommonOptions.Output("Pairs file (TRL prompt/chosen/rejected)");
        var seed = CommonOptions.Seed();
        foreach (var option in new Option[] { samplesFile, output, seed }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            var summary = PreferencePairs.FromSamples(parse.GetValue(samplesFile)!, parse.GetValue(output)!, parse.GetValue(seed));
            Console.Out.WriteLine(JsonSerializer.Serialize(summary));
            return 0;
        });
        return command;
    }

    private static Command ScoreCommand()
    {
        var command = new Command("score", "Greedy accuracy of a model on demo prompts, per task family. Example: simper demo score --model demo/sft --data demo/data/eval_prompts.jsonl");
        var model = CommonOptions.Model();
        var data = new Option<string>("--data") { Description = "Prompts file (JSONL with a prompt field)", Required = true };
        var output = CommonOptions.Output("Also write the score as JSON to this file", required: false);
        var method = new Option<string>("--method") { Description = "Method that trained the model, as the report labels it (sft for the base); the model folder by default" };
        var rate = new Option<double?>("--learning-rate") { Description = "Learning rate that trained the model, as the report labels it; none for the base" };
        var threads = new Option<int>("--threads") { Description = "CPU threads; 0 = libtorch's default (one per core)" };
        foreach (var option in new Option[] { model, data, output, method, rate, threads }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            TorchRuntime.SetThreads(parse.GetValue(threads));
            var result = AccuracyScoring.ScoreModel(parse.GetValue(model)!, parse.GetValue(data)!, new DemoSettings().MaxNewTokens);
            var score = new ModelScore(parse.GetValue(method) ?? parse.GetValue(model)!, parse.GetValue(rate), result.AccuracyByFamily, result.Prompts);
            if (parse.GetValue(output) is { } path) AccuracyScoring.Write(path, score);
            Console.Out.WriteLine(JsonSerializer.Serialize(score));
            return 0;
        });
        return command;
    }

    /// <summary>
    /// How the demo starts one of its stages as a child process: this same program (the app host, or `dotnet` with
    /// this assembly) with the stage's arguments.
    /// </summary>
    private static ProcessStartInfo Simper(IReadOnlyList<string> args)
    {
        var host = Environment.ProcessPath ?? throw new SimperException("demo: cannot tell which program is running, to start its stages");
        var start = new ProcessStartInfo(host);
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        return start;
    }

    private static Command ReportCommand()
    {
        var command = new Command("report", "Rebuild report.md, report.json and the plots from a demo folder's scores and runs. Example: simper demo report --output demo");
        var output = CommonOptions.Output("The demo folder (holding scores/ and runs/)");
        command.Options.Add(output);
        command.SetAction(parse =>
        {
            var results = DemoRun.Read(parse.GetValue(output)!);
            DemoReport.Write(results, parse.GetValue(output)!);
            Console.Out.Write(DemoReport.Summary(results));
            return 0;
        });
        return command;
    }

    private static IReadOnlyList<string> ParseMethods(string text)
    {
        if (text.Trim() == "all") return ObjectiveCatalog.Names;
        var methods = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var method in methods) ObjectiveCatalog.Find(method);
        return methods;
    }

    private static IReadOnlyList<double> ParseRates(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 ? v
                : throw new SimperException($"--learning-rates: '{t}' is not a positive number"))
            .ToList();
}
