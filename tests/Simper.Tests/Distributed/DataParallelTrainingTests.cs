using Simper.Checkpoints;
using Simper.Training;
using TorchSharp;
using static Simper.Tests.Reliability.RunFixtures;

namespace Simper.Tests.Distributed;

/// <summary>
/// `mpirun -np 2 simper train` on a tiny model without dropout gives the run one process gives with twice the
/// gradient accumulation, and its checkpoints continue on another number of ranks.
/// </summary>
public class DataParallelTrainingTests
{
    private static string[] Args(string model, string data, string output, int accumulation) =>
    [
        "train", "--model", model, "--data", data, "--output", output, "--batch-size", "2",
        "--gradient-accumulation-steps", accumulation.ToString(), "--threads", "1", "--learning-rate", "1e-3",
        "--max-steps", "4", "--save-steps", "2", "--warmup-steps", "1",
    ];

    [SkippableFact]
    public void TwoRanksEqualOneRankWithDoubledAccumulation()
    {
        Support.Mpi.SkipUnlessInstalled();
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = Pairs(temp.File("d.jsonl"), rows: 12);

        var single = Support.Cli.Run(Args(model, data, temp.File("one"), accumulation: 2));
        Assert.True(single.ExitCode == 0, single.ToString());
        var parallel = Support.Mpi.Run(2, Args(model, data, temp.File("two"), accumulation: 1));
        Assert.True(parallel.ExitCode == 0, parallel.ToString());

        AssertSameWeights(temp.File("one"), temp.File("two"));
        var one = MetricsLog.Read(Path.Combine(temp.File("one"), MetricsLog.FileName)).Where(r => r[MetricNames.Loss] is not null).ToList();
        var two = MetricsLog.Read(Path.Combine(temp.File("two"), MetricsLog.FileName)).Where(r => r[MetricNames.Loss] is not null).ToList();
        Assert.Equal(one.Select(r => r.Step), two.Select(r => r.Step));
        for (int i = 0; i < one.Count; i++)
        {
            Assert.Equal(one[i][MetricNames.Loss]!.Value, two[i][MetricNames.Loss]!.Value, 5);
            Assert.Equal(one[i][MetricNames.GradNorm]!.Value, two[i][MetricNames.GradNorm]!.Value, 5);
        }
        var recorded = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(temp.File("two"), RunFolder.SettingsFile)))!;
        Assert.Equal((2, 4), (recorded[TrainingRecipe.ProcessesKey]!.GetValue<int>(), recorded[TrainingRecipe.GlobalBatchKey]!.GetValue<int>()));
        Assert.Equal(2, TrainingRecipe.Load(Path.Combine(temp.File("two"), RunFolder.SettingsFile)).BatchSize);
        // Rank 0 alone wrote: one metrics file, one checkpoint per save, recording the global batch.
        var state = TrainerState.Load(Path.Combine(temp.File("two"), "checkpoint-2", TrainerState.FileName));
        Assert.Equal((2, 4), (state.WorldSize, state.GlobalBatchSize));
        Assert.NotNull(state.RankRngStates);
        Assert.Single(state.RankRngStates!);
    }

    [SkippableFact]
    public void TwoRankCheckpointResumesOnOneRankWithDoubledAccumulation()
    {
        Support.Mpi.SkipUnlessInstalled();
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = Pairs(temp.File("d.jsonl"), rows: 12);
        var reference = Support.Cli.Run(Args(model, data, temp.File("reference"), accumulation: 2));
        Assert.True(reference.ExitCode == 0, reference.ToString());

        var output = temp.File("moved");
        var parallel = Support.Mpi.Run(2, Args(model, data, output, accumulation: 1));
        Assert.True(parallel.ExitCode == 0, parallel.ToString());
        // Back to the middle of the run: the final model and the last checkpoint go, checkpoint-2 stays.
        Directory.Delete(Path.Combine(output, "checkpoint-4"), true);
        var refused = Support.Cli.Run([.. Args(model, data, output, accumulation: 1), "--resume"]);
        Assert.Equal(2, refused.ExitCode);
        var line = Assert.Single(refused.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("global batch of 4", line);
        Assert.Contains("this run's is 2", line);

        var resumed = Support.Cli.Run([.. Args(model, data, output, accumulation: 2), "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        AssertSameWeights(temp.File("reference"), output);
    }

    /// <summary>Every tensor of the two final models within float32 reduction-order tolerance: ‖Δw‖/‖w‖ ≤ 1e-6.</summary>
    private static void AssertSameWeights(string expectedRun, string actualRun)
    {
        using var expected = PretrainedModel.Load(expectedRun, torch.ScalarType.Float32, torch.CPU).Model;
        using var actual = PretrainedModel.Load(actualRun, torch.ScalarType.Float32, torch.CPU).Model;
        var actualWeights = actual.state_dict();
        int compared = 0;
        foreach (var (name, w) in expected.state_dict())
        {
            var relative = (actualWeights[name] - w).norm().item<float>() / Math.Max(w.norm().item<float>(), 1e-12f);
            Assert.True(relative <= 1e-6, $"{name}: ‖Δw‖/‖w‖ = {relative:E2}");
            compared++;
        }
        Assert.True(compared > 5, $"compared only {compared} tensors");
    }
}
