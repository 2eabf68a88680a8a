using System.Globalization;
using System.Text.Json.Nodes;
using static Simper.BenchRunner.Report;

namespace Simper.BenchRunner;

/// <summary>The eight performance targets, each computed from the runs it compares.</summary>
internal static class Targets
{
    public static IEnumerable<(int Number, string Target, string Measured, bool Pass)> Evaluate(IReadOnlyDictionary<string, JsonObject> runs)
    {
        JsonObject R(string name) => runs[name];
        double Ratio(string a, string b, string field) => D(R(a), field) / D(R(b), field);

        var mfu = D(R("plain"), "mfu");
        yield return (1, "SimPER plain padded step MFU ≥ 70% of matmul peak", Percent(mfu), mfu >= 0.70);

        var shared = Ratio("shared-prompt", "plain", "pairs_per_second");
        yield return (2, "prefix sharing pairs/s ≥ 1.4× plain", X(shared), shared >= 1.4);

        var paddingFree = Ratio("spread-padding-free", "spread-padded", "pairs_per_second");
        yield return (3, "padding-free pairs/s ≥ 1.3× padded, spread lengths", X(paddingFree), paddingFree >= 1.3);

        var dpoTime = Ratio("plain", "dpo", "step_seconds_median");
        yield return (4, "SimPER step time ≤ 0.8× DPO with live reference", X(dpoTime), dpoTime <= 0.8);
        var saved = D(R("dpo"), "peak_rss_bytes") - D(R("plain"), "peak_rss_bytes");
        var reference = D(R("dpo"), "reference_model_bytes");
        yield return (4, "SimPER peak memory lower than DPO's by ≥ the reference model's size",
            $"{MiB(saved)} MiB lower; reference model {MiB(reference)} MiB", saved >= reference);

        var activations = Ratio("checkpointing", "plain", "activation_bytes");
        yield return (5, "gradient checkpointing activation memory ≤ 0.4×", X(activations), activations <= 0.4);
        var checkpointTime = Ratio("checkpointing", "plain", "step_seconds_median");
        yield return (5, "gradient checkpointing step time ≤ 1.4×", X(checkpointTime), checkpointTime <= 1.4);

        var loraTime = Ratio("lora", "plain", "step_seconds_median");
        yield return (6, "LoRA r16 all-linear step time ≤ 0.75× full",
            $"{X(loraTime)}; {F(D(R("lora"), "trainable_percent"), 2)}% of parameters trained", loraTime <= 0.75);

        var bf16Time = Ratio("bf16", "plain", "step_seconds_median");
        yield return (7, "bfloat16 step time vs float32 (faster = pass)", X(bf16Time), bf16Time < 1.0);
        foreach (var method in new[] { "dpo", "simper" })
        {
            double fp32 = D(R($"loss-fp32-{method}"), "final_loss"), bf16 = D(R($"loss-bf16-{method}"), "final_loss");
            var gap = Math.Abs(bf16 - fp32);
            yield return (7, $"{method} loss at step 20 (same start, same batch): |bf16 − fp32| ≤ 1e-2",
                $"fp32 {G(fp32)}, bf16 {G(bf16)}, gap {G(gap)}", gap <= 1e-2);
        }

        var all = Ratio("mixed-all", "mixed-plain", "pairs_per_second");
        yield return (8, "everything together (shared-prompt-padding-free + LoRA + bf16 + checkpointing) pairs/s ≥ 1.8× plain padded, mixed lengths", X(all), all >= 1.8);
        var fast = Ratio("mixed-fast", "mixed-plain", "pairs_per_second");
        yield return (8, "shared-prompt-padding-free + LoRA (float32, no checkpointing) pairs/s ≥ 1.8× plain padded, mixed lengths", X(fast), fast >= 1.8);
    }

    private static string X(double ratio) => ratio.ToString("F2", CultureInfo.InvariantCulture) + "×";

    private static string G(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    private static string MiB(double bytes) => F(bytes / (1 << 20), 0);
}
