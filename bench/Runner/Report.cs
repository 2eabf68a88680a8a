using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Simper.Runtime;

namespace Simper.BenchRunner;

/// <summary>The markdown report: every run's measurements, then each target with its measured ratio and verdict.</summary>
internal static class Report
{
    public static string Markdown(IReadOnlyDictionary<string, JsonObject> runs, IReadOnlyDictionary<string, string> failures, RunnerOptions options,
        string loadBefore, string loadAfter)
    {
        var md = new StringBuilder();
        md.AppendLine("# simper bench results").AppendLine();
        md.AppendLine($"Model: bench-26m (random weights, vocabulary 8192), {options.Threads} libtorch threads, {options.Warmup} warm-up + {options.Steps} timed steps per run, " +
            $"each run in its own process. Each timed configuration ran {options.Rounds} times, one round through all of them after another, " +
            "so that a drift in the machine's speed touches every configuration alike; the table shows each one's fastest run (highest pairs/s, " +
            $"as timeit keeps the minimum), and *pairs/s by round* all of them, each with the matmul peak its run measured. " +
            "The targets that compare speeds divide each run's pairs/s by that peak, take the median over rounds, and compare the medians: " +
            "two runs in different processes meet this host at different speeds, and the peak measured at the same moments as the steps " +
            "brings them to one (the fastest runs' plain ratio is shown beside it). The MFU target takes the median over rounds as well. The loss checks ran once. " +
            $"{Environment.ProcessorCount} cores. Load average (1/5/15 min) before: {loadBefore}; after: {loadAfter}. " +
            "MFU is measured against the float32 matmul peak the same process reached at the same moments: the best of three 2048² products, " +
            "measured before the first timed step and after each one, averaged (the lowest and highest in brackets), because this host's " +
            "speed drifts by half over tens of seconds, more than a step's overheads. A bfloat16 run whose projections are libtorch's native bfloat16 GEMMs " +
            "takes its MFU against the peak of bfloat16 products, measured alike; the comparisons between runs still use the float32 peak. *CPU steal* is the share of the machine's CPU time the hypervisor gave to other virtual machines during the " +
            "timed steps (Linux's /proc/stat): on a shared host it is what makes one round slower than another.").AppendLine();
        md.AppendLine($"CPU: {CpuFeatures.ModelName}; native bfloat16 instructions (avx512_bf16 or amx_bf16): {(CpuFeatures.HasNativeBfloat16 ? "yes" : "no")}; bfloat16 GEMMs and attention: {Bfloat16(runs)}; libtorch's CPU kernels: {Kernels(runs)}.").AppendLine();
        md.AppendLine("FLOPs per step = 6·(N − N_head)·T + 6·N_head·M + 12·L·d·Σ q_i·k_i, N = parameters without the input embedding, " +
            "N_head = the output head's, T = real tokens, q_i·k_i = queries × keys of each attention block. *MFU* takes M = T, PaLM's model FLOPs " +
            "(6·N·T + attention); *MFU, scored head* takes M = the positions that predict a response token, the only ones a preference loss " +
            "needs and the only ones the scorer computes logits at, which is the stricter count. A live reference model adds a forward pass " +
            "(a third); a frozen weight (LoRA's base) counts 4 FLOPs per token rather than 6, having no weight gradient. Memory is process RSS, measured apart from the timing: after the warm-up, with the C allocator set to unmap freed " +
            "blocks of 128 KiB and more at once so that RSS follows the memory in use, one forward and backward pass on the largest timed " +
            "batch, begun with the gradients allocated: *before* = RSS before it (model, optimizer state, gradients), *peak* = VmHWM during it, *activations* = peak − before (activations and the backward pass's temporaries). The timed " +
            "steps then run with the allocator keeping freed memory for reuse, as training does (unmapping at once slows a step by a third).").AppendLine();

        md.AppendLine("| run | what | step s median (min–max) | pairs/s | pairs/s by round @ peak GFLOP/s | tokens/s | GFLOP/s | peak matmul GFLOP/s mean (min–max) | MFU | MFU, scored head | CPU steal | RSS before MiB | peak RSS MiB | activations MiB | trained % | final loss |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var config in Configurations.All)
        {
            if (!runs.TryGetValue(config.Name, out var r))
            {
                md.AppendLine($"| {config.Name} | {config.Description} | failed: {failures[config.Name]} ||||||||||||||");
                continue;
            }
            // A round that failed while another succeeded is still shown, beside the runs that count.
            var description = failures.TryGetValue(config.Name, out var failure) ? $"{config.Description} (a round failed: {failure})" : config.Description;
            md.AppendLine($"| {config.Name} | {description} | {F(D(r, "step_seconds_median"), 2)} ({F(D(r, "step_seconds_min"), 2)}–{F(D(r, "step_seconds_max"), 2)}) | " +
                $"{F(D(r, "pairs_per_second"), 3)} | {ByRound(r)} | {F(D(r, "tokens_per_second"), 0)} | {F(D(r, "achieved_gflops"), 1)} | {F(D(r, "peak_matmul_gflops"), 1)} ({F(D(r, "peak_matmul_gflops_min"), 0)}–{F(D(r, "peak_matmul_gflops_max"), 0)}) | " +
                $"{Percent(D(r, "mfu"))} | {Percent(D(r, "scored_head_mfu"))} | {Steal(r)} | {MiB(r, "rss_before_bytes")} | {MiB(r, "peak_rss_bytes")} | {MiB(r, "activation_bytes")} | " +
                $"{F(D(r, "trainable_percent"), 2)} | {D(r, "final_loss").ToString("G6", CultureInfo.InvariantCulture)} |");
        }
        md.AppendLine();

        md.AppendLine("## Targets").AppendLine();
        md.AppendLine("| # | target | measured | pass |").AppendLine("|---|---|---|---|");
        foreach (var target in Targets.All)
        {
            string measured, verdict;
            try
            {
                var (value, pass) = target.Measure(runs);
                (measured, verdict) = (value, pass switch { true => "yes", false => "**no**", null => "reported" });
            }
            catch (KeyNotFoundException)
            {
                (measured, verdict) = ("not measured: a run it compares failed", "**no**");
            }
            md.AppendLine($"| {target.Number} | {target.Text} | {measured} | {verdict} |");
        }
        md.AppendLine();
        md.AppendLine("Notes: gradient checkpointing's recomputation is not counted as model FLOPs. The loss check trains 20 steps on one batch at learning rate 1e-4 from each of several starts " +
            "(seeds of the model and the batch), so each loss moves far from its start; read a gap against how far that loss moved, " +
            "and against how fast it was moving at step 20, where a lag of a fraction of a step is already a gap of 1e-2.");
        return md.ToString();
    }

    // Each round's pairs/s with the matmul peak its run measured (@).
    private static string ByRound(JsonObject run) =>
        run["pairs_per_second_by_round"] is JsonArray rounds && run["peak_matmul_gflops_by_round"] is JsonArray peaks
            ? string.Join(", ", rounds.Zip(peaks, (p, g) => $"{F(p!.GetValue<double>(), 3)} @ {F(g!.GetValue<double>(), 0)}"))
            : "";

    /// <summary>The libtorch CPU kernels (ATEN_CPU_CAPABILITY) the runs report, or "its own choice".</summary>
    private static string Kernels(IReadOnlyDictionary<string, JsonObject> runs) =>
        string.Join(", ", runs.Values.Select(r => r["cpu_kernels"]?.GetValue<string>() ?? "libtorch's own choice").Distinct());

    /// <summary>How the runs computed bfloat16 (native kernels, or float32 products; see KernelOptions).</summary>
    private static string Bfloat16(IReadOnlyDictionary<string, JsonObject> runs) =>
        string.Join(", ", runs.Values.Select(r => r["bfloat16_kernels"]?.GetValue<string>() switch
        {
            "native" => "libtorch's native bfloat16 kernels (a CPU with AMX)",
            "native-gemm" => "libtorch's native bfloat16 GEMMs; attention multiplied in float32 and rounded to bfloat16",
            "native-attention" => "libtorch's native bfloat16 attention; GEMMs multiplied in float32 and rounded to bfloat16",
            "float32" => "multiplied in float32 and rounded to bfloat16",
            var other => other ?? "not reported",
        }).Distinct());

    internal static double D(JsonObject run, string field) => run[field]?.GetValue<double>() ?? double.NaN;

    internal static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);

    internal static string Percent(double fraction) => (100 * fraction).ToString("F1", CultureInfo.InvariantCulture) + "%";

    /// <summary>The share of CPU time other virtual machines took during the timed steps, or "n/a" where unknown.</summary>
    private static string Steal(JsonObject run) => run["cpu_steal_fraction"] is JsonValue v ? Percent(v.GetValue<double>()) : "n/a";

    private static string MiB(JsonObject run, string field) => F(D(run, field) / (1 << 20), 0);
}
