using System.Diagnostics;
using Simper.Checkpoints;
using Simper.Training;
using TorchSharp;
using static Simper.Tests.Reliability.RunFixtures;

namespace Simper.Tests.Reliability;

/// <summary>A run killed with SIGKILL at random moments and resumed each time ends bit for bit where an uninterrupted run ends.</summary>
public class ResumeTests
{
    private const int Kills = 5;

    [Fact]
    public void KilledAndResumedRunMatchesAnUninterruptedOneBitForBit()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = Pairs(temp.File("d.jsonl"));
        // Logging every 3 steps and saving every 2 puts checkpoints between log lines, so the logging window must resume too.
        string[] Args(string output) => Train(model, data, output, "--max-steps", "60", "--save-steps", "2",
            "--logging-steps", "3", "--save-total-limit", "2", "--warmup-steps", "5");

        var reference = Support.Cli.Run(Args(temp.File("reference")));
        Assert.True(reference.ExitCode == 0, reference.ToString());

        var output = temp.File("interrupted");
        var random = new Random(1234);
        int kills = 0, lastStep = 0;
        for (int attempt = 0; kills < Kills && attempt < 4 * Kills; attempt++)
        {
            using var process = Start(attempt == 0 ? Args(output) : [.. Args(output), "--resume"]);
            // Wait for a checkpoint newer than the one resumed from, then kill after a random delay: mostly while the
            // next checkpoint is being written, since saving dominates a step of this tiny model.
            while (!process.HasExited && LatestStep(output) <= lastStep) Thread.Sleep(5);
            Thread.Sleep(random.Next(0, 120));
            if (process.HasExited) break;
            process.Kill();
            process.WaitForExit();
            kills++;
            lastStep = LatestStep(output);
            AssertLatestCheckpointLoads(output);
        }
        Assert.Equal(Kills, kills);

        var finish = Support.Cli.Run([.. Args(output), "--resume"]);
        Assert.True(finish.ExitCode == 0, finish.ToString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(temp.File("reference"), PretrainedModel.WeightsFile)),
            File.ReadAllBytes(Path.Combine(output, PretrainedModel.WeightsFile)));
        Assert.Equal(File.ReadAllText(Path.Combine(temp.File("reference"), MetricsLog.FileName)),
            File.ReadAllText(Path.Combine(output, MetricsLog.FileName)));
        Assert.Equal(20, MetricsLog.Read(Path.Combine(output, MetricsLog.FileName)).Count);
    }

    private static Process Start(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Simper.Cli.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The step of the newest complete checkpoint (0 when there is none).</summary>
    private static int LatestStep(string output) =>
        Directory.Exists(output) && Directory.EnumerateDirectories(output, RunFolder.CheckpointPrefix + "*")
            .Where(d => File.Exists(Path.Combine(d, TrainerState.FileName)))
            .Select(d => int.Parse(Path.GetFileName(d)[RunFolder.CheckpointPrefix.Length..])).DefaultIfEmpty(0).Max() is var step ? step : 0;

    /// <summary>What --resume would pick must load whole: state, optimizer file and weights.</summary>
    private static void AssertLatestCheckpointLoads(string output)
    {
        var checkpoint = Path.Combine(output, RunFolder.CheckpointPrefix + LatestStep(output));
        Assert.Equal(LatestStep(output), TrainerState.Load(Path.Combine(checkpoint, TrainerState.FileName)).GlobalStep);
        Assert.True(new FileInfo(Path.Combine(checkpoint, OptimizerCheckpoint.FileName)).Length > 0);
        using var loaded = PretrainedModel.Load(checkpoint, torch.ScalarType.Float32, torch.CPU).Model;
    }
}
