using System.Text.Json.Nodes;
using Simper.Bench;
using Simper.Models;
using Simper.Scoring;

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
                     "flops_per_step", "achieved_gflops", "peak_matmul_gflops", "mfu", "rss_before_bytes", "peak_rss_bytes", "model_bytes",
                     "non_embedding_parameters", "trainable_parameters", "total_parameters", "trainable_percent" })
            Assert.True(json[field]!.GetValue<double>() > 0, $"{field} = {json[field]}");
        Assert.True(json["activation_bytes"]!.GetValue<double>() >= 0);
        Assert.Equal("padded", json["config"]!["packing"]!.GetValue<string>());
        // Two pairs of 6 + 3 tokens, each prompt run twice when padded.
        Assert.Equal(36, json["tokens_per_step"]!.GetValue<double>());
        Assert.Equal(result.FlopsPerStep / result.StepSecondsMedian / 1e9, result.AchievedGflops, 6);
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
        var expected = TrainingFlops.Training(result.NonEmbeddingParameters, config.NumHiddenLayers, config.HiddenSize, 24, blocks) * 4 / 3;
        Assert.Equal(expected, result.FlopsPerStep, 1);
    }
}
