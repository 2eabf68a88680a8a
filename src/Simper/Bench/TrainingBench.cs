using System.Diagnostics;
using Simper.Distributed;
using Simper.Lora;
using Simper.Models;
using Simper.Objectives;
using Simper.Runtime;
using Simper.Scoring;
using Simper.Text;
using Simper.Training;
using Simper.Training.Losses;
using static TorchSharp.torch;

namespace Simper.Bench;

/// <summary>
/// Times training steps of a preference method. A step is the trainer's own <see cref="TrainingStep{TExample}"/>
/// with one micro-batch: zero_grad, forward and backward through the method's loss (its tensors freed before the
/// update), clip_grad_norm, AdamW step (through float32 master weights for bfloat16).
/// <para>
/// Memory and time are measured apart, because the C allocator setting that makes the resident set an honest memory
/// measure also slows a step by a third (every large tensor then gets fresh pages from the kernel). The run starts
/// with freed memory returned promptly (<see cref="ProcessMemory.ReturnFreedMemoryPromptly"/>); after the warm-up
/// steps, one forward and backward pass on the largest timed batch, without the update, gives the peak memory; then
/// the allocator keeps freed memory for reuse as in training (<see cref="ProcessMemory.KeepFreedMemoryForReuse"/>),
/// one more pass without the update warms it, and the timed steps follow, the matmul peak measured before the first
/// and after each (<see cref="BenchResult.PeakMatmulGflops"/>). The passes without an update leave the weights, so
/// the losses are those of warm-up + timed steps alone.
/// </para>
/// </summary>
public static class TrainingBench
{
    /// <summary>Timed products per peak measurement: the best of three, about a quarter of a second on a CPU.</summary>
    public const int PeakRepeats = 3;

    public static BenchResult Run(BenchSettings settings)
    {
        settings.Validate();
        TorchRuntime.SetThreads(settings.Threads);
        ProcessMemory.ReturnFreedMemoryPromptly();
        try { return Measure(settings); }
        finally
        {
            // Leave the process as the run found it, with the run's freed memory returned.
            ProcessMemory.ReturnFreedMemoryPromptly();
            ProcessMemory.ReleaseFreedMemory();
        }
    }

    private static BenchResult Measure(BenchSettings settings)
    {
        using var policy = BenchModels.Create(settings);
        policy.model.GradientCheckpointing = settings.GradientCheckpointing;
        if (settings.LoraRank > 0) BenchModels.ApplyLora(policy, settings.LoraRank);
        long nonEmbedding = TrainingFlops.NonEmbeddingParameters(policy), head = TrainingFlops.HeadParameters(policy);
        var frozen = TrainingFlops.Frozen(policy);
        var counts = LoraModel.CountParameters(policy);

        var objective = ObjectiveCatalog.Create(settings.Method);
        using var reference = objective.NeedsReference ? BenchModels.Create(settings) : null;
        var padId = BenchModels.PadId(policy);
        var loss = Loss(objective, reference, settings.Packing, padId);

        var random = new Random(settings.Seed);
        var distinct = settings.SameBatch ? 1 : settings.Warmup + settings.Steps;
        var drawn = Enumerable.Range(0, distinct)
            .Select(_ => BenchBatches.Create(settings.Pairs, settings.Lengths, settings.PromptLength, settings.ResponseLength, policy.Config.VocabSize, random))
            .ToList();
        var batches = Enumerable.Range(0, settings.Warmup + settings.Steps).Select(i => drawn[i % distinct]).ToList();

        var trainable = policy.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();
        using var masters = Masters(settings, trainable);
        var parameters = masters?.Parameters ?? trainable.Select(p => p.parameter).ToList();
        using var optimizer = new PyTorchAdamW(parameters, settings.LearningRate, 0.9, 0.999, 1e-8, 0.0);
        policy.train();
        // The trainer's own step, one micro-batch per optimizer step.
        // Under mpirun every rank steps its own batches and the gradients are all-reduced, as in data-parallel training.
        var ranks = Communicators.World;
        var trainingStep = new TrainingStep<EncodedPair>(policy, loss, optimizer, parameters, masters, settings.MaxGradNorm) { Communicator = ranks };

        var losses = new List<double>();
        for (var step = 0; step < settings.Warmup; step++)
            losses.Add(trainingStep.Run([batches[step]]).Loss);

        var timed = batches.Skip(settings.Warmup).ToList();
        var largest = timed.MaxBy(b => BenchBatches.Tokens(b, PairPacking.Padded))!;
        // A step drops the previous step's gradients before its backward pass. The measured pass starts with them allocated, so its
        // peak counts activations and the backward pass's temporaries, not the gradients' own storage, which grows
        // with the parameters rather than with the batch.
        AllocateGradients(trainable.Select(p => p.parameter).Concat(parameters));
        ProcessMemory.ReleaseFreedMemory();
        var rssBefore = ProcessMemory.Resident();
        ProcessMemory.ResetPeak();
        ForwardBackward(trainingStep, largest, masters, optimizer);
        var peakRss = ProcessMemory.Peak();
        ProcessMemory.KeepFreedMemoryForReuse();
        ForwardBackward(trainingStep, largest, masters, optimizer);

        // The matmul peak is measured before the first timed step and after each one, so that the steps and their
        // denominator see the same moments of the machine: a shared host's speed drifts by half over tens of seconds,
        // more than the difference between two implementations of a step. Its operands are made after the memory pass.
        using var probe = new MatmulPeak(settings.PeakMatmulSize, settings.Device);
        // MFU divides by the peak of the products the model's projections run: those of its own 16-bit dtype where
        // they are native (a GPU, bfloat16 on a CPU with bfloat16 instructions), float32's otherwise. The float32 peak
        // stays the measure of the machine's speed that runs are compared at.
        using var ownProbe = NativeLowPrecisionGemms(settings) ? new MatmulPeak(settings.PeakMatmulSize, settings.Device, settings.Dtype) : null;
        var peaks = new List<double> { probe.Measure(PeakRepeats) };
        var ownPeaks = new List<double>();
        if (ownProbe is not null) ownPeaks.Add(ownProbe.Measure(PeakRepeats));
        var seconds = new List<double>();
        var allReduceSeconds = new List<double>();
        long allReduceBytes = 0;
        var stealBefore = CpuSteal.Read();
        foreach (var batch in timed)
        {
            var clock = Stopwatch.StartNew();
            losses.Add(trainingStep.Run([batch]).Loss);
            seconds.Add(clock.Elapsed.TotalSeconds);
            (allReduceBytes, var allReduce) = trainingStep.LastAllReduce;
            allReduceSeconds.Add(allReduce.TotalSeconds);
            peaks.Add(probe.Measure(PeakRepeats));
            if (ownProbe is not null) ownPeaks.Add(ownProbe.Measure(PeakRepeats));
        }
        var steal = CpuSteal.Fraction(stealBefore, CpuSteal.Read());
        var peak = peaks.Average();
        var mfuPeak = ownPeaks.Count > 0 ? ownPeaks.Average() : peak;

        var L = policy.Config.NumHiddenLayers;
        var d = policy.Config.HiddenSize;
        long tokens = timed.Sum(b => BenchBatches.Tokens(b, settings.Packing));
        var referenceParameters = reference is null ? 0 : TrainingFlops.NonEmbeddingParameters(reference); // without the policy's adapters
        // Model FLOPs count the head at every real token (PaLM's 6·N·T); the scored-head count at the positions the loss reads.
        double Flops(Func<IReadOnlyList<EncodedPair>, long> headPositions) => timed.Sum(b =>
        {
            var (batchTokens, blocks) = (BenchBatches.Tokens(b, settings.Packing), BenchBatches.Blocks(b, settings.Packing).ToList());
            var policyFlops = TrainingFlops.Training(nonEmbedding, head, L, d, batchTokens, headPositions(b), blocks, frozen);
            return reference is null ? policyFlops : policyFlops + TrainingFlops.Forward(referenceParameters, head, L, d, batchTokens, headPositions(b), blocks);
        });
        var flops = Flops(b => BenchBatches.Tokens(b, settings.Packing));
        var scoredHeadFlops = Flops(BenchBatches.Scored);
        var total = seconds.Sum();
        var achieved = flops / total / 1e9;

        return new BenchResult
        {
            Settings = settings,
            ModelName = settings.ModelDir ?? settings.Preset.Name,
            StepSecondsMedian = Median.Of(seconds),
            StepSecondsMin = seconds.Min(),
            StepSecondsMax = seconds.Max(),
            PairsPerSecond = (double)settings.Pairs * ranks.Size * settings.Steps / total,
            Ranks = ranks.Size,
            AllReduceSecondsMedian = Median.Of(allReduceSeconds),
            AllReduceBytesPerStep = allReduceBytes,
            TokensPerSecond = tokens / total,
            TokensPerStep = (double)tokens / settings.Steps,
            NonEmbeddingParameters = nonEmbedding,
            FlopsPerStep = flops / settings.Steps,
            AchievedGflops = achieved,
            PeakMatmulGflops = peak,
            PeakMatmulGflopsMin = peaks.Min(),
            PeakMatmulGflopsMax = peaks.Max(),
            MfuPeakGflops = mfuPeak,
            MfuPeakDtype = DtypeNames.Name(ownProbe is null ? ScalarType.Float32 : settings.Dtype),
            Mfu = achieved / mfuPeak,
            ScoredHeadFlopsPerStep = scoredHeadFlops / settings.Steps,
            ScoredHeadMfu = scoredHeadFlops / total / 1e9 / mfuPeak,
            CpuStealFraction = steal,
            RssBeforeBytes = rssBefore,
            PeakRssBytes = peakRss,
            ModelBytes = BenchModels.ParameterBytes(policy),
            ReferenceModelBytes = reference is null ? 0 : BenchModels.ParameterBytes(reference),
            TrainableParameters = counts.Trainable,
            TotalParameters = counts.Total,
            Losses = losses,
        };
    }

    /// <summary>Whether the model's projections multiply natively in its 16-bit dtype rather than in float32 (see <see cref="Kernels.KernelDispatch.MultipliesInFloat32"/>).</summary>
    private static bool NativeLowPrecisionGemms(BenchSettings settings) =>
        settings.Dtype is ScalarType.BFloat16 or ScalarType.Float16 && !Kernels.KernelDispatch.MultipliesInFloat32(settings.Dtype, settings.Device.type, settings.Kernels);

    /// <summary>The trainer's own loss with the requested layout; a live reference model is frozen and scored alike.</summary>
    private static IBatchLoss<EncodedPair> Loss(IPreferenceObjective objective, LlamaForCausalLM? reference, PairPacking packing, int padId) =>
        new PreferenceBatchLoss(objective, reference is null ? null : ReferenceLogProbs.FromModel(reference), padId, packing);

    /// <summary>A step without the update: forward, backward and the gradients moved to the masters, then cleared.</summary>
    private static void ForwardBackward(TrainingStep<EncodedPair> step, IReadOnlyList<EncodedPair> batch, MasterWeights? masters, optim.Optimizer optimizer)
    {
        step.Backward(batch);
        using var scope = NewDisposeScope();
        masters?.MoveGradients();
        optimizer.zero_grad();
        Kernels.StepGarbage.Collect();
    }

    /// <summary>Zero gradients for the parameters without one (a gradient that exists is kept).</summary>
    private static void AllocateGradients(IEnumerable<TorchSharp.Modules.Parameter> parameters)
    {
        using var scope = NewDisposeScope();
        foreach (var parameter in parameters)
            if (parameter.grad is null) parameter.grad = zeros_like(parameter);
    }

    /// <summary>float32 masters of a low-precision run, starting from the float32 weights the float32 run starts from.</summary>
    private static MasterWeights? Masters(BenchSettings settings, IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> trainable)
    {
        if (trainable.All(p => p.Parameter.dtype is ScalarType.Float32 or ScalarType.Float64)) return null; // e.g. LoRA adapters
        using var start = BenchModels.FullPrecisionStart(settings);
        var weights = start?.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        return MasterWeights.For(trainable, weights);
    }
}
