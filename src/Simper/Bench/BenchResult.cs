using System.Text.Json.Nodes;
using Simper.Runtime;

namespace Simper.Bench;

/// <summary>What one benchmark run measured; <see cref="ToJson"/> is the object `simper bench` prints.</summary>
public sealed record BenchResult
{
    public required BenchSettings Settings { get; init; }
    public required string ModelName { get; init; }
    public double StepSecondsMedian { get; init; }
    public double StepSecondsMin { get; init; }
    public double StepSecondsMax { get; init; }
    /// <summary>Pairs per second of all ranks together (each rank steps <see cref="BenchSettings.Pairs"/> pairs).</summary>
    public double PairsPerSecond { get; init; }
    /// <summary>Processes stepping together (under mpirun), 1 alone.</summary>
    public int Ranks { get; init; } = 1;
    /// <summary>Median time of a step's gradient all-reduce (0 alone), and the gradient bytes each rank sent in it.</summary>
    public double AllReduceSecondsMedian { get; init; }
    public long AllReduceBytesPerStep { get; init; }
    /// <summary>Real tokens per second: padding excluded, a shared prompt counted once.</summary>
    public double TokensPerSecond { get; init; }
    public double TokensPerStep { get; init; }
    /// <summary>N of <see cref="TrainingFlops"/>, of the model before any adapters.</summary>
    public long NonEmbeddingParameters { get; init; }
    /// <summary>
    /// Model FLOPs of a timed step (mean), policy training plus any reference forward pass, in PaLM's convention: the
    /// output head counted at every real token (<see cref="TrainingFlops"/> with M = T).
    /// </summary>
    public double FlopsPerStep { get; init; }
    /// <summary>
    /// As <see cref="FlopsPerStep"/> with the head counted only at the positions that predict a response token: the
    /// work the loss needs and the scorer does, so the stricter count.
    /// </summary>
    public double ScoredHeadFlopsPerStep { get; init; }
    public double AchievedGflops { get; init; }
    /// <summary>
    /// The float32 matmul peak (<see cref="MatmulPeak"/>, the best of <see cref="TrainingBench.PeakRepeats"/> products)
    /// measured before the first timed step and after each one, averaged: the steps' own moments of the machine.
    /// </summary>
    public double PeakMatmulGflops { get; init; }
    /// <summary>The lowest and highest of those measurements: how far the machine's speed moved during the run.</summary>
    public double PeakMatmulGflopsMin { get; init; }
    public double PeakMatmulGflopsMax { get; init; }
    /// <summary>
    /// The peak MFU divides by: <see cref="PeakMatmulGflops"/>, or for a 16-bit model whose projections multiply
    /// natively in its dtype (a GPU, bfloat16 on a CPU with bfloat16 instructions) the peak of products in that dtype,
    /// measured at the same moments.
    /// </summary>
    public double MfuPeakGflops { get; init; }
    /// <summary>The dtype of the products behind <see cref="MfuPeakGflops"/>: float32, bfloat16 or float16.</summary>
    public string MfuPeakDtype { get; init; } = "float32";
    /// <summary><see cref="AchievedGflops"/> / <see cref="MfuPeakGflops"/>.</summary>
    public double Mfu { get; init; }
    /// <summary>MFU from <see cref="ScoredHeadFlopsPerStep"/>.</summary>
    public double ScoredHeadMfu { get; init; }
    /// <summary>Share of the machine's CPU time taken by other virtual machines during the timed steps (<see cref="CpuSteal"/>); null where unknown.</summary>
    public double? CpuStealFraction { get; init; }
    public long RssBeforeBytes { get; init; }
    public long PeakRssBytes { get; init; }
    /// <summary>
    /// Peak resident set during a forward and backward pass of the largest timed batch, begun with the gradients
    /// allocated, minus the resident set before it: activations and the backward pass's temporaries. The run tells
    /// the C allocator to unmap freed blocks of 128 KiB and more at once
    /// (<see cref="ProcessMemory.ReturnFreedMemoryPromptly"/>), so the resident set follows the memory in use instead of
    /// keeping freed tensors' pages, which would otherwise inflate the peak by an amount that depends on allocation order.
    /// </summary>
    public long ActivationBytes => PeakRssBytes - RssBeforeBytes;
    public long ModelBytes { get; init; }
    public long ReferenceModelBytes { get; init; }
    public long TrainableParameters { get; init; }
    public long TotalParameters { get; init; }
    public double TrainablePercent => TotalParameters == 0 ? 0 : 100.0 * TrainableParameters / TotalParameters;
    /// <summary>The loss of every step, warm-up included, in order.</summary>
    public IReadOnlyList<double> Losses { get; init; } = [];

    public JsonObject ToJson(bool includeLosses = false)
    {
        var s = Settings;
        var json = new JsonObject
        {
            ["config"] = new JsonObject
            {
                ["model"] = ModelName,
                ["method"] = s.Method,
                ["packing"] = PackingName(s.Packing),
                ["lengths"] = s.Lengths.ToString().ToLowerInvariant(),
                ["pairs"] = s.Pairs,
                ["prompt_length"] = s.PromptLength,
                ["response_length"] = s.ResponseLength,
                ["gradient_checkpointing"] = s.GradientCheckpointing,
                ["lora_rank"] = s.LoraRank,
                ["dtype"] = TorchRuntime.DtypeName(s.Dtype),
                ["threads"] = s.Threads,
                ["steps"] = s.Steps,
                ["warmup"] = s.Warmup,
                ["seed"] = s.Seed,
                ["learning_rate"] = s.LearningRate,
                ["same_batch"] = s.SameBatch,
            },
            // libtorch's CPU kernel set for this process (see CpuKernels), null where libtorch chose by itself.
            ["cpu_kernels"] = Environment.GetEnvironmentVariable(CpuKernels.Variable),
            // How bfloat16 computed on the CPU in this run (see KernelOptions): libtorch's native kernels or float32 products.
            ["bfloat16_kernels"] = s.Kernels.Describe(),
            ["step_seconds_median"] = StepSecondsMedian,
            ["step_seconds_min"] = StepSecondsMin,
            ["step_seconds_max"] = StepSecondsMax,
            ["pairs_per_second"] = PairsPerSecond,
            ["ranks"] = Ranks,
            ["all_reduce_seconds_median"] = AllReduceSecondsMedian,
            ["all_reduce_bytes_per_step"] = AllReduceBytesPerStep,
            ["all_reduce_share_of_step"] = StepSecondsMedian > 0 ? AllReduceSecondsMedian / StepSecondsMedian : 0,
            ["tokens_per_second"] = TokensPerSecond,
            ["tokens_per_step"] = TokensPerStep,
            ["non_embedding_parameters"] = NonEmbeddingParameters,
            ["flops_per_step"] = FlopsPerStep,
            ["achieved_gflops"] = AchievedGflops,
            ["peak_matmul_gflops"] = PeakMatmulGflops,
            ["peak_matmul_gflops_min"] = PeakMatmulGflopsMin,
            ["peak_matmul_gflops_max"] = PeakMatmulGflopsMax,
            ["mfu_peak_gflops"] = MfuPeakGflops,
            ["mfu_peak_dtype"] = MfuPeakDtype,
            ["mfu"] = Mfu,
            ["scored_head_flops_per_step"] = ScoredHeadFlopsPerStep,
            ["scored_head_mfu"] = ScoredHeadMfu,
            ["cpu_steal_fraction"] = CpuStealFraction,
            ["rss_before_bytes"] = RssBeforeBytes,
            ["peak_rss_bytes"] = PeakRssBytes,
            ["activation_bytes"] = ActivationBytes,
            ["model_bytes"] = ModelBytes,
            ["reference_model_bytes"] = ReferenceModelBytes,
            ["trainable_parameters"] = TrainableParameters,
            ["total_parameters"] = TotalParameters,
            ["trainable_percent"] = TrainablePercent,
            ["final_loss"] = Losses.Count > 0 ? Losses[^1] : null,
        };
        if (includeLosses) json["losses"] = new JsonArray([.. Losses.Select(l => (JsonNode)l)]);
        return json;
    }

    /// <summary>The command-line spelling of a packing: padded, shared-prompt, padding-free, shared-prompt-padding-free.</summary>
    public static string PackingName(Scoring.PairPacking packing) => packing switch
    {
        Scoring.PairPacking.Padded => "padded",
        Scoring.PairPacking.SharedPrompt => "shared-prompt",
        Scoring.PairPacking.PaddingFree => "padding-free",
        Scoring.PairPacking.SharedPromptPaddingFree => "shared-prompt-padding-free",
        _ => throw new ArgumentOutOfRangeException(nameof(packing), packing, "unknown packing"),
    };
}
