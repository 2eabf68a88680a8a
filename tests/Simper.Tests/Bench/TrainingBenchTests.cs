using System.Text.Json.Nodes;
using Simper.Bench;
using Simper.Kernels;
using Simper.Models;
using Simper.Scoring;
using static TorchSharp.torch;

namespace Simper.Tests.Bench;

public class TrainingBenchTests
{
    private static BenchSettings Tiny(PairPacking packing, string method = "simper") => new()
    {
        Preset = ModelPresets.Tiny, VocabSize = 64, Method = method, Packing = packing, Pairs = 2, PromptLength = 6,
        ResponseLength = 3, Steps = 1, Warmup = 0, PeakMatmulSize = 128,
    };

    [Fact]
    public void OneStepReportsEveryFieldPositive()
    {
        var result = TrainingBench.Run(Tiny(PairPacking.Padded));
        var json = JsonNode.Parse(result.ToJson().ToJsonString())!; // as printed
        foreach (var field in new[] { "step_seconds_median", "step_seconds_min", "step_seconds_max", "pairs_per_second", "tokens_per_second",
                     "flops_per_step", "achieved_gflops", "peak_matmul_gflops", "peak_matmul_gflops_min", "peak_matmul_gflops_max", "mfu",
                     "scored_head_flops_per_step", "scored_head_mfu", "rss_before_bytes", "peak_rss_bytes", "model_bytes",
                     "non_embedding_parameters", "trainable_parameters", "total_parameters", "trainable_percent" })
            Assert.True(json[field]!.GetValue<double>() > 0, $"{field} = {json[field]}");
        Assert.True(json["activation_bytes"]!.GetValue<double>() >= 0);
        // One process: no all-reduce in the step.
        Assert.Equal(1, json["ranks"]!.GetValue<int>());
        Assert.Equal(0, json["all_reduce_bytes_per_step"]!.GetValue<long>());
        Assert.Equal(0, json["all_reduce_share_of_step"]!.GetValue<double>());
        // Null when no clock tick passed during the timed step, which is short here.
        if (json["cpu_steal_fraction"] is JsonValue steal) Assert.InRange(steal.GetValue<double>(), 0, 1);
        Assert.Equal("padded", json["config"]!["packing"]!.GetValue<string>());
        // Two pairs of 6 + 3 tokens, each prompt run twice when padded.
        Assert.Equal(36, json["tokens_per_step"]!.GetValue<double>());
        Assert.Equal(result.FlopsPerStep / result.StepSecondsMedian / 1e9, result.AchievedGflops, 6);
        // The peak is the mean of the measurements before and after the step, the MFU's denominator.
        Assert.InRange(result.PeakMatmulGflops, result.PeakMatmulGflopsMin, result.PeakMatmulGflopsMax);
        Assert.Equal(result.AchievedGflops / result.PeakMatmulGflops, result.Mfu, 12);
        Assert.Equal("float32", json["mfu_peak_dtype"]!.GetValue<string>());
        Assert.Equal(result.PeakMatmulGflops, json["mfu_peak_gflops"]!.GetValue<double>());
    }

    [Theory]
    [InlineData(true, "bfloat16")]
    [InlineData(false, "float32")]
    public void Bfloat16MfuIsAgainstThePeakOfTheProductsItsProjectionsRun(bool nativeGemms, string peakDtype)
    {
        var kernels = new KernelOptions(NativeBfloat16Gemms: nativeGemms, NativeBfloat16Attention: false);
        var result = TrainingBench.Run(Tiny(PairPacking.Padded) with { Dtype = ScalarType.BFloat16, Kernels = kernels });
        Assert.Equal(nativeGemms ? "native-gemm" : "float32", result.ToJson()["bfloat16_kernels"]!.GetValue<string>());
        Assert.Equal(peakDtype, result.MfuPeakDtype);
        Assert.Equal(result.AchievedGflops / result.MfuPeakGflops, result.Mfu, 12);
        // The float32 peak is measured either way: runs are compared at it.
        Assert.InRange(result.PeakMatmulGflops, result.PeakMatmulGflopsMin, result.PeakMatmulGflopsMax);
        if (nativeGemms) Assert.NotEqual(result.PeakMatmulGflops, result.MfuPeakGflops);
        else Assert.Equal(result.PeakMatmulGflops, result.MfuPeakGflops);
    }

    [Fact]
    public void MemoryPassesLeaveTheTrainingTrajectoryAlone()
    {
        // The passes without an update run after the warm-up: before step 1 here, before step 2 there. Any gradient
        // or weight they left behind would change the losses from that step on.
        var settings = Tiny(PairPacking.Padded) with { SameBatch = true, LearningRate = 1e-2 };
        var early = TrainingBench.Run(settings with { Warmup = 0, Steps = 3 });
        var late = TrainingBench.Run(settings with { Warmup = 1, Steps = 2 });
        Assert.Equal(3, early.Losses.Count);
        Assert.Equal(early.Losses, late.Losses);
        Assert.True(early.Losses[2] < early.Losses[0] - 1e-4, $"the loss did not fall: {string.Join(", ", early.Losses)}");
    }

    [Fact]
    public void DpoWithSharedPromptCountsTheReferenceModelAndThePromptOnce()
    {
        var result = TrainingBench.Run(Tiny(PairPacking.SharedPromptPaddingFree, "dpo"));
        Assert.Equal(24, result.TokensPerStep); // 2 × (6 + 3 + 3)
        Assert.Equal(result.ModelBytes, result.ReferenceModelBytes);
        Assert.Equal(Math.Log(2), result.Losses[0], 5); // policy == reference at the start
        var blocks = new[] { new AttendedBlock(9, 9), new AttendedBlock(3, 9), new AttendedBlock(9, 9), new AttendedBlock(3, 9) };
        var config = ModelPresets.Tiny;
        var head = (long)config.HiddenSize * 64;
        // Model FLOPs: the head at all 24 real tokens. The scored-head count: at the 2 × (3 + 3) response tokens only.
        var model = TrainingFlops.Training(result.NonEmbeddingParameters, head, config.NumHiddenLayers, config.HiddenSize, 24, 24, blocks) * 4 / 3;
        var scored = TrainingFlops.Training(result.NonEmbeddingParameters, head, config.NumHiddenLayers, config.HiddenSize, 24, 12, blocks) * 4 / 3;
        Assert.Equal(model, result.FlopsPerStep, 1);
        Assert.Equal(scored, result.ScoredHeadFlopsPerStep, 1);
        Assert.Equal(result.Mfu * scored / model, result.ScoredHeadMfu, 12);
    }

    [Fact]
    public void Bfloat16RunsStartTheirMastersFromTheFloat32Weights()
    {
        var float32 = Tiny(PairPacking.Padded);
        var bfloat16 = float32 with { Dtype = ScalarType.BFloat16 };
        Assert.Null(BenchModels.FullPrecisionStart(float32));
        using var half = BenchModels.Create(bfloat16);
        using var full = BenchModels.FullPrecisionStart(bfloat16)!;
        Assert.Equal(ScalarType.Float32, full.Dtype);
        var source = full.state_dict();
        var rounded = 0;
        foreach (var (name, weight) in half.state_dict())
        {
            Assert.True(source[name].to(ScalarType.BFloat16).eq(weight).all().item<bool>(), $"{name} is not the float32 start rounded");
            if (!source[name].eq(weight.to(ScalarType.Float32)).all().item<bool>()) rounded++;
        }
        Assert.True(rounded > 0, "the float32 start has no bits beyond bfloat16, so the test shows nothing");
        var run = TrainingBench.Run(bfloat16 with { Steps = 2, SameBatch = true });
        Assert.All(run.Losses, l => Assert.True(double.IsFinite(l)));
    }
}
