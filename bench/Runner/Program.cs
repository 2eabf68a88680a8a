using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Simper.BenchRunner;

// Runs `simper bench` for every configuration, each run in a fresh process (so peak memory is its own), and writes a
// markdown report with every measurement (and the raw JSON of each run beside it) and the target ratios, passed or not.
// Timed configurations run --rounds times, one round through all of them after another, so that a drift in the
// machine's speed touches every configuration alike; each keeps its fastest run (highest pairs/s: the least disturbed,
// as timeit keeps the minimum). The loss checks, whose losses do not depend on timing, run once.
var options = RunnerOptions.Parse(args);
var loadBefore = LoadAverage();
var attempts = Configurations.All.ToDictionary(c => c.Name, _ => new List<JsonObject>());
var failures = new Dictionary<string, string>();
void Run(Configuration config, string round)
{
    Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {config.Name}{round}: simper bench {string.Join(' ', config.Arguments(options))}");
    try { attempts[config.Name].Add(RunBench(options.Cli, config.Arguments(options))); }
    catch (InvalidOperationException e)
    {
        failures[config.Name] = e.Message.ReplaceLineEndings(" ").Replace("|", "/");
        Console.Error.WriteLine(e.Message);
    }
}
for (var round = 1; round <= options.Rounds; round++)
    foreach (var config in Configurations.All.Where(c => !c.OwnSteps)) Run(config, $" (round {round} of {options.Rounds})");
foreach (var config in Configurations.All.Where(c => c.OwnSteps)) Run(config, "");
var runs = attempts.Where(a => a.Value.Count > 0).ToDictionary(a => a.Key, a => Fastest(a.Value));
File.WriteAllText(options.Output, Report.Markdown(runs, failures, options, loadBefore, LoadAverage()));
var raw = Path.ChangeExtension(options.Output, ".json");
File.WriteAllText(raw, new JsonObject(runs.Select(r => KeyValuePair.Create(r.Key, (JsonNode?)r.Value.DeepClone()))).ToJsonString(new() { WriteIndented = true }));
Console.Error.WriteLine($"wrote {options.Output} and {raw}");

// The first three fields of /proc/loadavg: 1, 5 and 15 minute load averages.
static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

// The run with the highest pairs/s, carrying every run's pairs/s, matmul peak and MFU (in round order) as
// "pairs_per_second_by_round", "peak_matmul_gflops_by_round" and "mfu_by_round", which the targets read.
static JsonObject Fastest(IReadOnlyList<JsonObject> runs)
{
    var best = runs.MaxBy(r => r["pairs_per_second"]!.GetValue<double>())!;
    foreach (var field in new[] { "pairs_per_second", "peak_matmul_gflops", "mfu" })
        best[$"{field}_by_round"] = new JsonArray([.. runs.Select(r => (JsonNode?)r[field]!.GetValue<double>())]);
    return best;
}

static JsonObject RunBench(string cli, IReadOnlyList<string> arguments)
{
    var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
    start.ArgumentList.Add(cli);
    start.ArgumentList.Add("bench");
    foreach (var a in arguments) start.ArgumentList.Add(a);
    using var process = Process.Start(start)!;
    var stderr = process.StandardError.ReadToEndAsync();
    var stdout = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0) throw new InvalidOperationException($"simper bench exited {process.ExitCode}: {stderr.Result}");
    return JsonNode.Parse(stdout)!.AsObject();
}

namespace Simper.BenchRunner
{
    internal sealed record RunnerOptions(string Cli, string Output, int Steps, int Warmup, int Threads, int Rounds)
    {
        public static RunnerOptions Parse(string[] args)
        {
            string? cli = null, output = null;
            int steps = 3, warmup = 1, threads = 2, rounds = 3;
            for (var i = 0; i + 1 < args.Length; i += 2)
                switch (args[i])
                {
                    case "--cli": cli = args[i + 1]; break;
                    case "--output": output = args[i + 1]; break;
                    case "--steps": steps = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                    case "--warmup": warmup = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                    case "--threads": threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                    case "--rounds": rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                    default: throw new ArgumentException($"unknown option {args[i]}; expected --cli, --output, --steps, --warmup, --threads, --rounds");
                }
            if (rounds < 1) throw new ArgumentException("--rounds must be at least 1");
            return new RunnerOptions(cli ?? throw new ArgumentException("--cli is required"), output ?? throw new ArgumentException("--output is required"), steps, warmup, threads, rounds);
        }
    }

    /// <summary>One `simper bench` invocation: bench-26m, the runner's steps and threads, plus its own flags.</summary>
    internal sealed record Configuration(string Name, string Description, params string[] Flags)
    {
        /// <summary>Loss-trajectory runs set their own step count (20 optimizer steps on one batch).</summary>
        public bool OwnSteps => Flags.Contains("--steps");

        public IReadOnlyList<string> Arguments(RunnerOptions options)
        {
            var list = new List<string> { "--preset", "bench-26m", "--threads", options.Threads.ToString(CultureInfo.InvariantCulture) };
            if (!OwnSteps) list.AddRange(["--steps", options.Steps.ToString(CultureInfo.InvariantCulture), "--warmup", options.Warmup.ToString(CultureInfo.InvariantCulture)]);
            list.AddRange(Flags);
            return list;
        }
    }

    internal static class Configurations
    {
        private static readonly string[] LossCheck = ["--steps", "19", "--warmup", "1", "--same-batch", "--report-loss", "--learning-rate", "1e-4",
            "--pairs", "2", "--prompt-length", "64", "--response-length", "32"];

        /// <summary>Starts (model and batch seeds) of the loss check, so the gap is checked on more than one trajectory.</summary>
        public static IReadOnlyList<int> LossSeeds { get; } = [42, 1, 2, 3, 4];

        public static string LossRun(string dtype, string method, int seed) => $"loss-{dtype}-{method}-seed{seed}";

        public static IReadOnlyList<Configuration> All { get; } =
        [
            new("plain", "SimPER, padded, 4 pairs × (256 + 64)"),
            new("shared-prompt", "SimPER, prompt shared by chosen and rejected", "--packing", "shared-prompt"),
            new("spread-padded", "SimPER, padded, sequence lengths 32..320", "--lengths", "spread"),
            new("spread-padding-free", "SimPER, padding-free, sequence lengths 32..320", "--lengths", "spread", "--packing", "padding-free"),
            new("dpo", "DPO with a live reference model, padded", "--method", "dpo"),
            new("checkpointing", "SimPER, padded, gradient checkpointing", "--gradient-checkpointing"),
            new("lora", "SimPER, padded, LoRA r16 all-linear", "--lora-rank", "16"),
            new("bf16", "SimPER, padded, bfloat16 weights", "--dtype", "bfloat16"),
            new("mixed-plain", "SimPER, padded, mixed lengths", "--lengths", "mixed"),
            new("mixed-fast", "mixed lengths: shared-prompt-padding-free + LoRA r16", "--lengths", "mixed", "--packing", "shared-prompt-padding-free", "--lora-rank", "16"),
            new("mixed-all", "mixed lengths: shared-prompt-padding-free + LoRA r16 + bfloat16 + gradient checkpointing", "--lengths", "mixed",
                "--packing", "shared-prompt-padding-free", "--lora-rank", "16", "--dtype", "bfloat16", "--gradient-checkpointing"),
            .. LossSeeds.SelectMany(seed => new Configuration[]
            {
                new(LossRun("fp32", "dpo", seed), $"DPO, 20 steps on one batch, float32, seed {seed}", [.. LossCheck, "--method", "dpo", "--seed", $"{seed}"]),
                new(LossRun("bf16", "dpo", seed), $"DPO, 20 steps on one batch, bfloat16, seed {seed}", [.. LossCheck, "--method", "dpo", "--dtype", "bfloat16", "--seed", $"{seed}"]),
                new(LossRun("fp32", "simper", seed), $"SimPER, 20 steps on one batch, float32, seed {seed}", [.. LossCheck, "--seed", $"{seed}"]),
                new(LossRun("bf16", "simper", seed), $"SimPER, 20 steps on one batch, bfloat16, seed {seed}", [.. LossCheck, "--dtype", "bfloat16", "--seed", $"{seed}"]),
            }),
        ];
    }
}
