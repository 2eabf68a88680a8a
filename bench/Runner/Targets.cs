using System.Globalization;
using System.Text.Json.Nodes;
using Simper.Bench;
using Simper.Lora;
using Simper.Models;
using static Simper.BenchRunner.Report;

namespace Simper.BenchRunner;

/// <summary>
/// One target: its number in the list, what it asks, and how to measure it from the runs. Pass is null for a figure
/// the list asks to report rather than to reach.
/// </summary>
internal sealed record Target(int Number, string Text, Func<IReadOnlyDictionary<string, JsonObject>, (string Measured, bool? Pass)> Measure);

/// <summary>The eight performance targets, each computed from the runs it compares (or, for a 7B shape, from its config).</summary>
internal static class Targets
{
    /// <summary>Llama-2-7B's shape (config.json of meta-llama/Llama-2-7b-hf, less its special ids).</summary>
    private static ModelConfig Llama2SevenB { get; } = ModelConfig.Parse("""
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama",
          "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
          "num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 32000,
          "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "tie_word_embeddings": false, "hidden_act": "silu"
        }
        """, "Llama-2-7B shape");

    public static IReadOnlyList<Target> All { get; } =
    [
        new(1, "SimPER plain padded step MFU (6·N·T + attention) ≥ 70% of matmul peak, median over rounds", runs =>
        {
            var mfu = Median.Of(Rounds(runs["plain"], "mfu"));
            return ($"{Percent(mfu)} (fastest run: {Percent(D(runs["plain"], "mfu"))}; {Percent(D(runs["plain"], "scored_head_mfu"))} counting the head at scored positions only)",
                mfu >= 0.70);
        }),
        Speed(2, "prefix sharing pairs/s ≥ 1.4× plain", "shared-prompt", "plain", r => r >= 1.4),
        Speed(3, "padding-free pairs/s ≥ 1.3× padded, spread lengths", "spread-padding-free", "spread-padded", r => r >= 1.3),
        Time(4, "SimPER step time ≤ 0.8× DPO with live reference", "plain", "dpo", r => r <= 0.8),
        new(4, "SimPER peak memory lower than DPO's by ≥ the reference model's size", runs =>
        {
            var saved = D(runs["dpo"], "peak_rss_bytes") - D(runs["plain"], "peak_rss_bytes");
            var reference = D(runs["dpo"], "reference_model_bytes");
            return ($"{MiB(saved)} MiB lower; reference model {MiB(reference)} MiB", saved >= reference);
        }),
        Ratio(5, "gradient checkpointing activation memory ≤ 0.4×", "checkpointing", "plain", "activation_bytes", r => r <= 0.4),
        Time(5, "gradient checkpointing step time ≤ 1.4×", "checkpointing", "plain", r => r <= 1.4),
        Time(6, "LoRA r16 all-linear step time ≤ 0.75× full", "lora", "plain", r => r <= 0.75),
        new(6, "LoRA r16 all-linear trains < 1% of a Llama-2-7B shape (hidden 4096, 32 layers, 32 heads, intermediate 11008, vocab 32000; " +
            "counted from the config, no weights built)", _ =>
        {
            var counts = LoraParameterCounts.For(Llama2SevenB, new LoraConfig { Rank = 16, TargetModules = [LoraConfig.AllLinear] });
            return ($"{F(counts.TrainablePercent, 2)}% ({N(counts.Trainable)} of {N(counts.Total)} parameters)", counts.TrainablePercent < 1);
        }),
        Time(7, "bfloat16 step time vs float32 (reported)", "bf16", "plain", _ => null),
        LossGap("dpo"),
        LossGap("simper"),
        Speed(8, "everything together (shared-prompt-padding-free + LoRA + bf16 + checkpointing) pairs/s ≥ 1.8× plain padded, mixed lengths",
            "mixed-all", "mixed-plain", r => r >= 1.8),
        Speed(8, "everything that speeds up a step on this machine (shared-prompt-padding-free + LoRA r16; float32, no checkpointing) " +
            "pairs/s ≥ 1.8× plain padded, mixed lengths", "mixed-fast", "mixed-plain", r => r >= 1.8),
    ];

    private static Target Ratio(int number, string text, string run, string baseline, string field, Func<double, bool?> pass) =>
        new(number, text, runs =>
        {
            var ratio = D(runs[run], field) / D(runs[baseline], field);
            return (X(ratio), pass(ratio));
        });

    /// <summary>
    /// A throughput ratio at equal machine speed: each run's pairs/s divided by the matmul peak it measured at the
    /// same moments, the median over rounds for each configuration, then their ratio. Two runs in different processes
    /// meet the shared host at different speeds (a drift of half over tens of seconds); the fastest runs' plain
    /// pairs/s ratio is shown beside it.
    /// </summary>
    private static Target Speed(int number, string text, string run, string baseline, Func<double, bool?> pass) =>
        new(number, text, runs =>
        {
            var ratio = PairsPerPeak(runs[run]) / PairsPerPeak(runs[baseline]);
            var fastest = D(runs[run], "pairs_per_second") / D(runs[baseline], "pairs_per_second");
            return ($"{X(ratio)} at equal matmul peak (fastest runs: {X(fastest)})", pass(ratio));
        });

    /// <summary>A step-time ratio at equal machine speed, as <see cref="Speed"/>: every configuration takes the same pairs per step.</summary>
    private static Target Time(int number, string text, string run, string baseline, Func<double, bool?> pass) =>
        new(number, text, runs =>
        {
            var ratio = PairsPerPeak(runs[baseline]) / PairsPerPeak(runs[run]);
            var fastest = D(runs[run], "step_seconds_median") / D(runs[baseline], "step_seconds_median");
            return ($"{X(ratio)} at equal matmul peak (fastest runs' median step times: {X(fastest)})", pass(ratio));
        });

    /// <summary>Median over rounds of pairs/s per GFLOP/s of the run's own matmul peak.</summary>
    private static double PairsPerPeak(JsonObject run) =>
        Median.Of(Rounds(run, "pairs_per_second").Zip(Rounds(run, "peak_matmul_gflops"), (pairs, peak) => pairs / peak).ToList());

    private static IReadOnlyList<double> Rounds(JsonObject run, string field) =>
        [.. ((JsonArray)run[$"{field}_by_round"]!).Select(v => v!.GetValue<double>())];

    /// <summary>
    /// The bfloat16 run's loss against the float32 run's after 20 steps from the same start, at each of several
    /// starts: every start's gap must be within the target, and each is shown.
    /// </summary>
    private static Target LossGap(string method) =>
        new(7, $"{method} loss at step 20 (same start, same batch): abs(bf16 − fp32) ≤ 1e-2 at each of {Configurations.LossSeeds.Count} starts", runs =>
        {
            var gaps = Configurations.LossSeeds.Select(seed =>
                (Seed: seed, Fp32: D(runs[Configurations.LossRun("fp32", method, seed)], "final_loss"), Bf16: D(runs[Configurations.LossRun("bf16", method, seed)], "final_loss")))
                .Select(r => (r.Seed, r.Fp32, Gap: Math.Abs(r.Bf16 - r.Fp32))).ToList();
            var largest = gaps.Max(g => g.Gap);
            var each = string.Join("; ", gaps.Select(g => $"seed {g.Seed}: fp32 {G(g.Fp32)}, gap {G(g.Gap)}"));
            return ($"largest gap {G(largest)}, mean {G(gaps.Average(g => g.Gap))} ({each})", largest <= 1e-2);
        });

    private static string X(double ratio) => ratio.ToString("F3", CultureInfo.InvariantCulture) + "×";

    private static string G(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    private static string N(long count) => count.ToString("N0", CultureInfo.InvariantCulture);

    private static string MiB(double bytes) => F(bytes / (1 << 20), 0);
}
