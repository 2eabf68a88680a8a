using System.Diagnostics;
using Simper.Checkpoints;
using Simper.Training;
using TorchSharp;
using static Simper.Tests.Reliability.RunFixtures;
using Mpi = Simper.Tests.Support.Mpi;

namespace Simper.Tests.Distributed;

/// <summary>
/// SIGTERM (a scheduler's time limit, a preempted machine) ends a run after its current step with a checkpoint from
/// which --resume ends exactly as an uninterrupted run; under mpirun all ranks stop after the same step. A rank that
/// dies ends the whole job with a non-zero exit and leaves the last checkpoint whole.
/// </summary>
public class StopAndFailureTests
{
    private static string[] Args(string model, string data, string output, int accumulation = 1) =>
    [
        "train", "--model", model, "--data", data, "--output", output, "--batch-size", "2",
        "--gradient-accumulation-steps", accumulation.ToString(), "--threads", "1", "--learning-rate", "1e-3",
        "--max-steps", "150", "--save-steps", "1000", "--logging-steps", "1", "--warmup-steps", "1",
    ];

    [Fact]
    public void SigtermToOneProcessSavesACheckpointThatResumesAsAnUninterruptedRun()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = Pairs(temp.File("d.jsonl"), rows: 12);
        var reference = Support.Cli.Run(Args(model, data, temp.File("reference")));
        Assert.True(reference.ExitCode == 0, reference.ToString());

        var output = temp.File("stopped");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[Path.Combine(AppContext.BaseDirectory, "Simper.Cli.dll"), .. Args(model, data, output)]) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stopped = StopOnceTraining(process, output, process.Id);
        Assert.True(stopped.ExitCode == 143, stopped.ToString());
        AssertStoppedWithHint(stopped, output);

        var resumed = Support.Cli.Run([.. Args(model, data, output), "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(File.ReadAllBytes(Weights(temp.File("reference"))), File.ReadAllBytes(Weights(output)));
    }

    [SkippableFact]
    public void SigtermToMpirunStopsBothRanksWithACheckpointThatResumesAsAnUninterruptedRun()
    {
        Mpi.SkipUnlessInstalled();
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = Pairs(temp.File("d.jsonl"), rows: 12);
        // Long enough that the run is still going when mpirun passes SIGTERM on, seconds later (see Mpi.Start).
        string[] Longer(string output) => [.. Args(model, data, output, accumulation: 2)[..^8], "--max-steps", "300",
            "--save-steps", "1000", "--logging-steps", "1", "--warmup-steps", "1"];
        var reference = Mpi.Run(2, Longer(temp.File("reference")));
        Assert.True(reference.ExitCode == 0, reference.ToString());

        var output = temp.File("stopped");
        using var mpirun = Mpi.Start(2, Longer(output));
        var stopped = StopOnceTraining(mpirun, output, mpirun.Id);
        Assert.True(stopped.ExitCode != 0, stopped.ToString());
        AssertStoppedWithHint(stopped, output, maxStep: 299);

        var resumed = Mpi.Run(2, [.. Longer(output), "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(File.ReadAllBytes(Weights(temp.File("reference"))), File.ReadAllBytes(Weights(output)));
    }

    [SkippableFact]
    public void SigtermToOneRankStopsEveryRankAfterTheSameStep()
    {
        Mpi.SkipUnlessInstalled();
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = Pairs(temp.File("d.jsonl"), rows: 12);
        var output = temp.File("stopped");
        using var mpirun = Mpi.Start(2, Args(model, data, output));
        // Had rank 0 not learnt of rank 1's request, it would wait in the next all-reduce and the job would hang.
        var stopped = StopOnceTraining(mpirun, output, Mpi.RankProcess(mpirun, 1));
        Assert.True(stopped.ExitCode != 0, stopped.ToString());
        AssertStoppedWithHint(stopped, output);
    }

    [SkippableFact]
    public void AKilledRankEndsTheJobNonZeroWithTheLastCheckpointWhole()
    {
        Mpi.SkipUnlessInstalled();
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = Pairs(temp.File("d.jsonl"), rows: 12);
        var output = temp.File("run");
        using var mpirun = Mpi.Start(2, [.. Args(model, data, output)[..^8], "--max-steps", "400", "--save-steps", "3", "--logging-steps", "1"]);
        var rank1 = Mpi.RankProcess(mpirun, 1);
        while (!mpirun.HasExited && !Directory.Exists(Path.Combine(output, RunFolder.CheckpointPrefix + "3"))) Thread.Sleep(20);
        Mpi.Signal(rank1, Mpi.SigKill);
        var result = Mpi.Finish(mpirun);
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.False(File.Exists(Weights(output)), "the killed job must not write a final model");

        var last = Assert.IsType<string>(new DirectoryInfo(output).EnumerateDirectories(RunFolder.CheckpointPrefix + "*")
            .Where(d => File.Exists(Path.Combine(d.FullName, TrainerState.FileName)))
            .OrderBy(d => int.Parse(d.Name[RunFolder.CheckpointPrefix.Length..])).LastOrDefault()?.FullName);
        var state = TrainerState.Load(Path.Combine(last, TrainerState.FileName));
        Assert.True(state.GlobalStep >= 3 && state.GlobalStep % 3 == 0, $"step {state.GlobalStep}");
        using var loaded = PretrainedModel.Load(last, torch.ScalarType.Float32, torch.CPU).Model;
        Assert.True(new FileInfo(Path.Combine(last, OptimizerCheckpoint.FileName)).Length > 0);
    }

    [SkippableFact]
    public void AFailingRankReportsOneLineNamingItAndEndsTheJob()
    {
        Mpi.SkipUnlessInstalled();
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = Pairs(temp.File("d.jsonl"), rows: 12);
        var output = temp.File("run");
        var first = Mpi.Run(2, [.. Args(model, data, output)[..^8], "--max-steps", "2", "--save-steps", "1"]);
        Assert.True(first.ExitCode == 0, first.ToString());
        // The same batch per rank on one rank more: a different global batch, refused on every rank.
        var refused = Mpi.Run(3, [.. Args(model, data, output)[..^8], "--max-steps", "4", "--save-steps", "1", "--resume"]);
        Assert.True(refused.ExitCode != 0, refused.ToString());
        var errors = refused.Stderr.Split('\n').Where(l => l.StartsWith("error: ")).ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, line => Assert.Matches(@"^error: rank [0-2]: --resume .*global batch of 4 .*this run's is 6", line));
        Assert.DoesNotContain("   at ", refused.Stderr);
    }

    /// <summary>Sends SIGTERM to <paramref name="target"/> once the run has logged a step, and waits for the job.</summary>
    private static CliResult StopOnceTraining(Process job, string output, int target)
    {
        var metrics = Path.Combine(output, MetricsLog.FileName);
        while (!job.HasExited && !(File.Exists(metrics) && new FileInfo(metrics).Length > 0)) Thread.Sleep(10);
        Assert.False(job.HasExited, "the run ended before it could be stopped");
        Mpi.Signal(target, Mpi.SigTerm);
        return Mpi.Finish(job);
    }

    private static void AssertStoppedWithHint(CliResult stopped, string output, int maxStep = 149)
    {
        var lines = stopped.Stderr.Split('\n').Where(l => l.StartsWith("stopped by SIGTERM")).ToList();
        Assert.True(lines.Count == 1, stopped.ToString());
        var line = lines[0];
        Assert.Contains("--resume", line);
        Assert.False(File.Exists(Weights(output)), "a stopped run has no final model yet");
        var checkpoint = Assert.Single(Directory.GetDirectories(output, RunFolder.CheckpointPrefix + "*"));
        var state = TrainerState.Load(Path.Combine(checkpoint, TrainerState.FileName));
        Assert.InRange(state.GlobalStep, 1, maxStep);
        Assert.Contains($"checkpoint saved in {checkpoint}", line);
    }
}
