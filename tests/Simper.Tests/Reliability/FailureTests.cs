using System.Diagnostics;
using Simper.Checkpoints;
using Simper.Training;
using static Simper.Tests.Reliability.RunFixtures;

namespace Simper.Tests.Reliability;

/// <summary>Runs that fail mid-way: non-finite losses and an output that can no longer be written.</summary>
public class FailureTests
{
    /// <summary>Exit 2, and the error is the last stderr line, alone of its kind, with no stack trace.</summary>
    private static string OneLineError(CliResult result)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        var lines = result.Stderr.TrimEnd('\n').Split('\n');
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.StartsWith("error: ", lines[^1]);
        return lines[^1];
    }

    private static Dictionary<string, byte[]> Files(string folder) =>
        Directory.EnumerateFiles(folder).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    [Fact]
    public void NonFiniteStepsAreSkippedCountedAndStopTheRunKeepingTheLastGoodCheckpoint()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var output = temp.File("run");
        // AdamW moves every weight by about the learning rate on its first step: 1e30 makes the weights so large
        // that the next forward pass overflows, so every step after the first is non-finite.
        var result = Support.Cli.Run(Train(model, Pairs(temp.File("d.jsonl")), output, "--max-steps", "20",
            "--learning-rate", "1e30", "--warmup-ratio", "0", "--save-steps", "1", "--save-total-limit", "0", "--logging-steps", "1"));

        var error = OneLineError(result);
        var checkpoint = Path.Combine(output, "checkpoint-1");
        Assert.Equal($"error: stopped at step {1 + Trainer<object>.MaxConsecutiveNonFinite}: loss or gradient was not finite for " +
                     $"{Trainer<object>.MaxConsecutiveNonFinite} steps in a row; the last good checkpoint is {checkpoint}", error);
        var records = MetricsLog.Read(Path.Combine(output, MetricsLog.FileName));
        Assert.Equal([1, 2, 3, 4, 5], records.Select(r => r.Step));
        Assert.Equal([0, 1, 2, 3, 4], records.Select(r => r["skipped_steps"]));
        Assert.True(double.IsFinite(records[0][MetricNames.Loss]!.Value));
        Assert.All(records.Skip(1), r => Assert.True(double.IsNaN(r[MetricNames.Loss]!.Value)));
        // Only the checkpoint after the good step exists, whole, and no final model was written.
        Assert.Equal(["checkpoint-1"], Directory.EnumerateDirectories(output, "checkpoint-*").Select(Path.GetFileName));
        Assert.Equal(1, TrainerState.Load(Path.Combine(checkpoint, TrainerState.FileName)).GlobalStep);
        using (PretrainedModel.Load(checkpoint, TorchSharp.torch.ScalarType.Float32, TorchSharp.torch.CPU).Model) { }
        Assert.False(File.Exists(Path.Combine(output, PretrainedModel.WeightsFile)));
    }

    [Fact]
    public void CheckpointThatCannotBeWrittenKeepsThePreviousOneWhole()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = Pairs(temp.File("d.jsonl"));
        var output = temp.File("run");
        string[] Args(int steps, params string[] more) => Train(model, data, output, ["--max-steps", $"{steps}", "--save-steps", "2", .. more]);
        var first = Support.Cli.Run(Args(2));
        Assert.True(first.ExitCode == 0, first.ToString());
        var kept = Path.Combine(output, "checkpoint-2");
        var before = Files(kept);
        // The path the next checkpoint is renamed to is taken by a file, as when the disk refuses a write (root included).
        File.WriteAllText(Path.Combine(output, "checkpoint-4"), "in the way");

        var error = OneLineError(Support.Cli.Run([.. Args(6), "--resume"]));

        Assert.StartsWith($"error: --output {output}: could not write the run (", error);
        Assert.EndsWith($"the last complete checkpoint is {kept}", error);
        Assert.Equal(before, Files(kept));
        Assert.Empty(Directory.EnumerateDirectories(output, ".checkpoint-*"));
    }

    [SkippableFact]
    public void FullDiskMidRunKeepsThePreviousCheckpointWhole()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = Pairs(temp.File("d.jsonl"));
        var disk = Directory.CreateDirectory(temp.File("disk")).FullName;
        // A checkpoint of the tiny model takes about 1.5 MB (weights and AdamW moments): 2.5 MB holds one, not two.
        var mount = Process.Start("mount", ["-t", "tmpfs", "-o", "size=2500k", "tmpfs", disk])!;
        mount.WaitForExit();
        Skip.If(mount.ExitCode != 0, "mounting a small tmpfs needs root");
        try
        {
            var output = Path.Combine(disk, "run");
            var error = OneLineError(Support.Cli.Run(Train(model, data, output, "--max-steps", "20", "--save-steps", "2", "--save-total-limit", "0")));

            var kept = Path.Combine(output, "checkpoint-2");
            Assert.StartsWith($"error: --output {output}: could not write the run (", error);
            Assert.EndsWith($"the last complete checkpoint is {kept}", error);
            Assert.Equal(["checkpoint-2"], Directory.EnumerateDirectories(output, "checkpoint-*").Select(Path.GetFileName));
            Assert.Equal(2, TrainerState.Load(Path.Combine(kept, TrainerState.FileName)).GlobalStep);
            using (PretrainedModel.Load(kept, TorchSharp.torch.ScalarType.Float32, TorchSharp.torch.CPU).Model) { }
            Assert.Empty(Directory.EnumerateDirectories(output, ".checkpoint-*"));
        }
        finally
        {
            Process.Start("umount", [disk])!.WaitForExit();
        }
    }
}
