using Simper.Kernels;
using Simper.Models;
using Simper.Objectives;
using Simper.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Bench;

/// <summary>
/// What one benchmark run measures: a model (a folder, or a preset created in memory), a method and its layout, and
/// the batch shape. Defaults: SimPER, padded, 4 pairs of 256-token prompts with 64-token responses, float32, 2 threads,
/// 1 warm-up step then 5 timed steps.
/// </summary>
public sealed record BenchSettings
{
    /// <summary>Hugging Face model folder; when null, <see cref="Preset"/> is created with random weights.</summary>
    public string? ModelDir { get; init; }
    public ModelPreset Preset { get; init; } = ModelPresets.Bench26M;
    /// <summary>Vocabulary of a preset that does not fix its own.</summary>
    public int VocabSize { get; init; } = 8192;

    public string Method { get; init; } = ObjectiveCatalog.DefaultName;
    public PairPacking Packing { get; init; } = PairPacking.Padded;
    public bool GradientCheckpointing { get; init; }
    /// <summary>LoRA rank on all linear projections (dropout 0); 0 trains the full model.</summary>
    public int LoraRank { get; init; }
    public ScalarType Dtype { get; init; } = ScalarType.Float32;
    public Device Device { get; init; } = CPU;
    /// <summary>Native or float32 bfloat16 kernels, set on the run's models; this CPU's defaults unless given.</summary>
    public KernelOptions Kernels { get; init; } = KernelOptions.ForThisCpu;
    /// <summary>libtorch intra-op threads, for the training steps and the matmul peak alike.</summary>
    public int Threads { get; init; } = 2;

    public int Pairs { get; init; } = 4;
    public BenchLengths Lengths { get; init; } = BenchLengths.Fixed;
    public int PromptLength { get; init; } = 256;
    public int ResponseLength { get; init; } = 64;

    /// <summary>Train on one batch every step (the loss then falls, so two runs' trajectories can be compared); otherwise a fresh batch per step.</summary>
    public bool SameBatch { get; init; }

    public int Steps { get; init; } = 5;
    public int Warmup { get; init; } = 1;
    public int Seed { get; init; } = 42;
    public double LearningRate { get; init; } = 1e-5;
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Side of the square float32 matmul whose best throughput is the MFU denominator.</summary>
    public int PeakMatmulSize { get; init; } = 2048;

    /// <summary>One-line errors for values that cannot run.</summary>
    public void Validate()
    {
        foreach (var (name, value) in new[] { ("--pairs", Pairs), ("--steps", Steps), ("--threads", Threads) })
            if (value < 1) throw new SimperException($"{name} {value}: expected a positive number");
        if (Warmup < 0) throw new SimperException($"--warmup {Warmup}: expected 0 or more");
        if (LoraRank < 0) throw new SimperException($"--lora-rank {LoraRank}: expected 0 (full training) or a positive rank");
        if (Lengths == BenchLengths.Fixed && (PromptLength < 1 || ResponseLength < 1))
            throw new SimperException($"--prompt-length {PromptLength} --response-length {ResponseLength}: expected positive lengths");
        if (ObjectiveCatalog.Find(Method).Create().Unpaired)
            throw new SimperException($"--method {Method}: an unpaired method; the benchmark times paired methods ({string.Join(", ", PairedMethods)})");
    }

    public static IReadOnlyList<string> PairedMethods { get; } =
        ObjectiveCatalog.All.Where(o => !o.Create().Unpaired).Select(o => o.Name).ToArray();
}
