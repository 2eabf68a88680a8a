using System.Text.Json.Nodes;
using Simper.Demo;
using Simper.Training;

namespace Simper.Tests.Training;

/// <summary>
/// KTO trains through the command line on unpaired data (prompt, completion, label) the test writes itself, on a
/// fresh tiny model: no shared data needed.
/// </summary>
public class KtoTrainingTests
{
    [Fact]
    public void TrainsOnUnpairedDataAndLogsTrlsKtoMetrics()
    {
        using var folder = new TempFolder();
        var init = Support.Cli.Run("init", "--output", folder.File("model"), "--preset", "tiny", "--seed", "5");
        Assert.True(init.ExitCode == 0, init.ToString());
        // Desirable: the word in upper case; undesirable: the word as it was. Alternating, so every batch has both.
        var random = new Random(5);
        DemoData.WriteLines(folder.File("unpaired.jsonl"), Enumerable.Range(0, 64).Select(i =>
        {
            var word = new string(Enumerable.Range(0, random.Next(3, 7)).Select(_ => (char)('a' + random.Next(26))).ToArray());
            var desirable = i % 2 == 0;
            return new JsonObject { ["prompt"] = $"shout {word}=", ["completion"] = desirable ? word.ToUpperInvariant() : word, ["label"] = desirable };
        }));

        var run = folder.File("kto");
        var train = Support.Cli.Run("train", "--model", folder.File("model"), "--data", folder.File("unpaired.jsonl"), "--output", run,
            "--method", "kto", "--learning-rate", "3e-3", "--max-steps", "8", "--batch-size", "8", "--gradient-accumulation-steps", "1",
            "--logging-steps", "1", "--save-steps", "0", "--threads", "1", "--max-length", "32", "--max-prompt-length", "16");

        Assert.True(train.ExitCode == 0, train.ToString());
        var metrics = MetricsLog.Read(Path.Combine(run, MetricsLog.FileName));
        Assert.Equal(Enumerable.Range(1, 8), metrics.Select(m => m.Step));
        foreach (var name in new[] { MetricNames.Loss, MetricNames.GradNorm, MetricNames.RewardsChosen, MetricNames.RewardsRejected,
                     MetricNames.RewardsMargins, MetricNames.LogpsChosen, MetricNames.LogpsRejected, "kl" })
            Assert.All(metrics, m => Assert.True(m[name] is { } v && double.IsFinite(v), $"step {m.Step}: {name} is {m[name]}"));
        // The first step scores the policy before any update, so it equals the reference: log-ratios, rewards and the
        // KL baseline are 0 and each example's loss is 1 − σ(0) = 0.5.
        var first = metrics[0];
        Assert.Equal(0.5, first[MetricNames.Loss]!.Value, 6);
        Assert.Equal(0, first[MetricNames.RewardsChosen]!.Value, 6);
        Assert.Equal(0, first["kl"]!.Value, 6);
        // Training moves the policy: the loss leaves 0.5 and the desirable completions gain on the undesirable ones.
        var last = metrics[^1];
        Assert.True(last[MetricNames.Loss] < 0.5 - 1e-3, $"loss {first[MetricNames.Loss]} -> {last[MetricNames.Loss]}");
        Assert.True(last[MetricNames.RewardsMargins] > 0, $"margin at step 8: {last[MetricNames.RewardsMargins]}");
        Assert.True(File.Exists(Path.Combine(run, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(run, "tokenizer.json")));
    }
}
