using System.CommandLine;
using Simper.Bench;
using Simper.Kernels;
using Simper.Models;
using Simper.Objectives;
using Simper.Runtime;
using Simper.Scoring;

namespace Simper.Cli.Commands;

/// <summary>`simper bench`: times training steps of a preference method and prints one JSON object.</summary>
public static class BenchCommand
{
    private static readonly PairPacking[] Packings = Enum.GetValues<PairPacking>();

    public static Command Create()
    {
        var defaults = new BenchSettings();
        var model = new Option<string?>("--model") { Description = "Hugging Face model folder to time (default: --preset created in memory)" };
        var preset = new Option<string>("--preset") { Description = $"Random-weight model when no --model: {string.Join(", ", ModelPresets.Names)}", DefaultValueFactory = _ => defaults.Preset.Name };
        var method = new Option<string>("--method") { Description = $"Paired method: {string.Join(", ", BenchSettings.PairedMethods)}; reference-based ones score a live frozen copy of the model", DefaultValueFactory = _ => defaults.Method };
        var packing = new Option<string>("--packing") { Description = $"Pair layout: {string.Join(", ", Packings.Select(BenchResult.PackingName))}", DefaultValueFactory = _ => "padded" };
        var checkpointing = new Option<bool>("--gradient-checkpointing") { Description = "Recompute each decoder layer but the last in the backward pass, and run the output head in chunks" };
        var loraRank = new Option<int>("--lora-rank") { Description = "Train LoRA adapters of this rank on all linear projections (dropout 0); 0 = full training" };
        var dtype = CommonOptions.Dtype();
        var device = CommonOptions.Device();
        var threads = new Option<int>("--threads") { Description = "CPU threads for libtorch (training and the matmul peak)", DefaultValueFactory = _ => defaults.Threads };
        var steps = new Option<int>("--steps") { Description = "Timed steps", DefaultValueFactory = _ => defaults.Steps };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first", DefaultValueFactory = _ => defaults.Warmup };
        var seed = CommonOptions.Seed();
        var pairs = new Option<int>("--pairs") { Description = "Preference pairs per step", DefaultValueFactory = _ => defaults.Pairs };
        var promptLength = new Option<int>("--prompt-length") { Description = "Prompt tokens with --lengths fixed", DefaultValueFactory = _ => defaults.PromptLength };
        var responseLength = new Option<int>("--response-length") { Description = "Tokens of each response with --lengths fixed", DefaultValueFactory = _ => defaults.ResponseLength };
        var lengths = new Option<string>("--lengths")
        {
            Description = "fixed (the lengths above), mixed (prompts uniform 32..256, responses 16..128), spread (sequences uniform 32..320)",
            DefaultValueFactory = _ => "fixed",
        };
        var learningRate = new Option<double>("--learning-rate") { Description = "AdamW learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var sameBatch = new Option<bool>("--same-batch") { Description = "Train on one batch every step, so the loss falls (to compare dtypes' trajectories)" };
        var reportLoss = new Option<bool>("--report-loss") { Description = "Add every step's loss (warm-up included) as \"losses\"" };

        var kernels = new Option<string?>("--bfloat16-kernels")
        {
            Description = "How bfloat16 projections and attention multiply: native, native-gemm, native-attention or float32 (default: this CPU's)",
        };

        var command = new Command("bench",
            "Time training steps of a method and print one JSON object (step time, pairs/s, MFU, memory). " +
            "Example: simper bench --preset bench-26m --packing shared-prompt");
        foreach (var option in new Option[] { model, preset, method, packing, checkpointing, loraRank, dtype, device, threads, steps, warmup, seed,
                     pairs, promptLength, responseLength, lengths, learningRate, sameBatch, reportLoss, kernels })
            command.Options.Add(option);

        command.SetAction(parse =>
        {
            var settings = new BenchSettings
            {
                ModelDir = parse.GetValue(model),
                Preset = ModelPresets.Find(parse.GetValue(preset)!),
                Method = ObjectiveCatalog.Find(parse.GetValue(method)!).Name,
                Packing = ParsePacking(parse.GetValue(packing)!),
                GradientCheckpointing = parse.GetValue(checkpointing),
                LoraRank = parse.GetValue(loraRank),
                Dtype = TorchRuntime.ParseDtype(parse.GetValue(dtype)!),
                Device = TorchRuntime.ParseDevice(parse.GetValue(device)!),
                Threads = parse.GetValue(threads),
                Steps = parse.GetValue(steps),
                Warmup = parse.GetValue(warmup),
                Seed = parse.GetValue(seed),
                Pairs = parse.GetValue(pairs),
                PromptLength = parse.GetValue(promptLength),
                ResponseLength = parse.GetValue(responseLength),
                Lengths = ParseLengths(parse.GetValue(lengths)!),
                LearningRate = parse.GetValue(learningRate),
                SameBatch = parse.GetValue(sameBatch),
                Kernels = parse.GetValue(kernels) is { } named ? ParseKernels(named) : KernelOptions.ForThisCpu,
            };
            var result = TrainingBench.Run(settings);
            if (Output.Writes) Console.Out.WriteLine(Output.ToJson(result.ToJson(includeLosses: parse.GetValue(reportLoss))));
            return 0;
        });
        command.Subcommands.Add(TokenizerCommand());
        return command;
    }

    /// <summary>`simper bench tokenizer`: encoding speed of a model's tokenizer, one document per line, on all cores and on one.</summary>
    private static Command TokenizerCommand()
    {
        var model = CommonOptions.Model("Folder with tokenizer files (tokenizer.json, vocab.json + merges.txt, or tokenizer.model)");
        var text = new Option<string>("--text") { Description = "UTF-8 text file, repeated up to --megabytes", Required = true };
        var megabytes = new Option<int>("--megabytes") { Description = "Size of the text to encode", DefaultValueFactory = _ => 10 };
        var command = new Command("tokenizer",
            "Encoding speed of a tokenizer, each line a document, on all cores and on one. Example: simper bench tokenizer --model gpt2 --text story.txt");
        foreach (var option in new Option[] { model, text, megabytes }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            var path = parse.GetValue(text)!;
            if (!File.Exists(path)) throw new SimperException($"--text {path}: file not found");
            var sample = File.ReadAllText(path);
            if (sample.Length == 0) throw new SimperException($"--text {path}: the file is empty");
            var copies = (int)Math.Ceiling(parse.GetValue(megabytes) * 1e6 / System.Text.Encoding.UTF8.GetByteCount(sample));
            var tokenizer = Simper.Tokenization.ModelTokenizer.FromFolder(parse.GetValue(model)!);
            var result = Simper.Tokenization.TokenizerThroughput.Measure(tokenizer, new System.Text.StringBuilder().Insert(0, sample, copies).ToString());
            Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                bytes = result.Bytes, tokens = result.Tokens, megabytes_per_second = result.MegabytesPerSecond,
                tokens_per_second = result.TokensPerSecond, threads = Simper.Tokenization.TokenizerThroughput.Threads,
                single_thread_megabytes_per_second = result.SingleThreadMegabytesPerSecond,
            }));
            return 0;
        });
        return command;
    }

    private static PairPacking ParsePacking(string name)
    {
        foreach (var packing in Packings)
            if (BenchResult.PackingName(packing) == name.Trim().ToLowerInvariant()) return packing;
        throw new SimperException($"--packing {name}: expected one of {string.Join(", ", Packings.Select(BenchResult.PackingName))}");
    }

    private static KernelOptions ParseKernels(string name) => KernelOptions.FromName(name)
        ?? throw new SimperException($"--bfloat16-kernels {name}: expected {string.Join(", ", KernelOptions.Names)}");

    private static BenchLengths ParseLengths(string name) => name.Trim().ToLowerInvariant() switch
    {
        "fixed" => BenchLengths.Fixed,
        "mixed" => BenchLengths.Mixed,
        "spread" => BenchLengths.Spread,
        _ => throw new SimperException($"--lengths {name}: expected fixed, mixed or spread"),
    };
}
