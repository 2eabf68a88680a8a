using System.Text.Json;
using Simper.Checkpoints;
using Simper.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Models;

public class LogProbsTests
{
    [Fact]
    public void CollateRightPadsAndMarksResponses()
    {
        using var batch = SequenceBatch.Collate([([5, 6], [7]), ([8], [9, 10, 11]), ([12, 13, 14], [])], padId: 0, torch.CPU);
        Assert.Equal(new long[] { 5, 6, 7, 0, 8, 9, 10, 11, 12, 13, 14, 0 }, batch.InputIds.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0 }, batch.AttentionMask.data<long>().ToArray());
        Assert.Equal(new long[] { 0, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0 }, batch.ResponseMask.data<long>().ToArray());
        Assert.Equal(new long[] { 3, 4 }, batch.InputIds.shape);
    }

    private sealed record Pair(int[] prompt_input_ids, int[] chosen_input_ids, int[] rejected_input_ids);
    private sealed record Expected(double[] chosen_logps_sum, double[] rejected_logps_sum, double[] chosen_len, double[] rejected_len);

    [SkippableTheory]
    [InlineData(ScalarType.Float32, 1e-4)]
    [InlineData(ScalarType.Float64, 1e-9)]
    public void ParityFixtureSummedLogProbsMatchReference(ScalarType dtype, double tolerance)
    {
        var folder = SharedData.Path("fixtures", "parity-llama");
        var pairs = File.ReadAllLines(Path.Combine(folder, "pairs.jsonl")).Select(l => JsonSerializer.Deserialize<Pair>(l)!).ToList();
        var expected = JsonSerializer.Deserialize<Expected>(File.ReadAllText(Path.Combine(folder, "expected.json")))!;
        var (model, _) = PretrainedModel.Load(Path.Combine(folder, "checkpoint"), dtype, torch.CPU);
        using var __ = model;

        // Chosen rows first, then rejected, all in one right-padded batch so padding is exercised.
        var rows = pairs.Select(p => (p.prompt_input_ids, p.chosen_input_ids))
            .Concat(pairs.Select(p => (p.prompt_input_ids, p.rejected_input_ids))).ToList();
        using var batch = SequenceBatch.Collate(rows, padId: 0, torch.CPU);
        using var noGrad = torch.no_grad();
        using var result = LogProbs.Compute(model, batch);
        using var sum64 = result.Sum.to(ScalarType.Float64);
        using var count64 = result.Count.to(ScalarType.Float64);
        var (sums, counts) = (sum64.data<double>().ToArray(), count64.data<double>().ToArray());
        Assert.Equal(dtype, result.PerToken.dtype);
        for (var i = 0; i < pairs.Count; i++)
        {
            Assert.Equal(expected.chosen_logps_sum[i], sums[i], tolerance);
            Assert.Equal(expected.rejected_logps_sum[i], sums[pairs.Count + i], tolerance);
            Assert.Equal(expected.chosen_len[i], counts[i]);
            Assert.Equal(expected.rejected_len[i], counts[pairs.Count + i]);
        }
    }
}
