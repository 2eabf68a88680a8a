using static Simper.Tests.Reliability.RunFixtures;

namespace Simper.Tests.Distributed;

/// <summary>
/// Under `mpirun -np 2`, sampling and scoring split their batches between the ranks and rank 0 writes exactly the
/// file one process writes.
/// </summary>
public class DataParallelScoringTests
{
    [SkippableFact]
    public void GreedyGenerationFromDataIsByteIdenticalToOneProcess()
    {
        Support.Mpi.SkipUnlessInstalled();
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        // Prompts of different lengths, so each batch pads differently and an odd batch count leaves rank 0 one more.
        var prompts = temp.File("prompts.jsonl");
        File.WriteAllLines(prompts, Enumerable.Range(1, 7).Select(i => $"{{\"prompt\": \"{new string('a', i)} question {i}?\", \"id\": {i}}}"));
        string[] Args(string output) => ["generate", "--model", model, "--data", prompts, "--output", output, "--greedy",
            "--max-new-tokens", "6", "--batch-size", "2", "--num-samples", "2"];

        var single = Support.Cli.Run(Args(temp.File("one.jsonl")));
        Assert.True(single.ExitCode == 0, single.ToString());
        var parallel = Support.Mpi.Run(2, Args(temp.File("two.jsonl")));
        Assert.True(parallel.ExitCode == 0, parallel.ToString());

        Assert.Equal(14, File.ReadAllLines(temp.File("one.jsonl")).Length);
        Assert.Equal(File.ReadAllBytes(temp.File("one.jsonl")), File.ReadAllBytes(temp.File("two.jsonl")));
        Assert.Single(parallel.Stderr.Split('\n'), line => line.StartsWith("wrote "));
    }

    [SkippableFact]
    public void PrecomputedReferenceIsByteIdenticalToOneProcess()
    {
        Support.Mpi.SkipUnlessInstalled();
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = Pairs(temp.File("d.jsonl"), rows: 7);
        string[] Args(string output) => ["precompute-ref", "--model", model, "--data", data, "--output", output, "--batch-size", "2"];

        var single = Support.Cli.Run(Args(temp.File("one.jsonl")));
        Assert.True(single.ExitCode == 0, single.ToString());
        var parallel = Support.Mpi.Run(2, Args(temp.File("two.jsonl")));
        Assert.True(parallel.ExitCode == 0, parallel.ToString());

        var lines = File.ReadAllLines(temp.File("one.jsonl"));
        Assert.Equal(7, lines.Length);
        Assert.All(lines, line => Assert.Contains("\"ref_chosen_logps\":-", line));
        Assert.Equal(File.ReadAllBytes(temp.File("one.jsonl")), File.ReadAllBytes(temp.File("two.jsonl")));
    }

    [SkippableFact]
    public void EvaluationPrintsTheOneProcessMetricsOnce()
    {
        Support.Mpi.SkipUnlessInstalled();
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = Pairs(temp.File("d.jsonl"), rows: 5);
        string[] args = ["eval", "--model", model, "--data", data, "--batch-size", "2", "--method", "dpo"];

        var single = Support.Cli.Run(args);
        Assert.True(single.ExitCode == 0, single.ToString());
        var parallel = Support.Mpi.Run(2, args);
        Assert.True(parallel.ExitCode == 0, parallel.ToString());
        Assert.Contains("\"pairs\":5", single.Stdout);
        Assert.Equal(single.Stdout, parallel.Stdout);
    }
}
