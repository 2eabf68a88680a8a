using System.Diagnostics;
using Simper.Demo;
using Simper.Demo.Report;
using Simper.Objectives;
using Simper.Training;

namespace Simper.Tests.Demo;

/// <summary>
/// The demo's alignment runs, two at a time in child processes, give what they give one after another in the demo's
/// own process: the same scores, the same training logs byte for byte, the same report, rows in the same order.
/// </summary>
public class SideBySideTests
{
    private static DemoSettings Tiny(int runsAtOnce) => new()
    {
        Methods = ["orpo", "simper", "kto", "dpo"], // not the catalog's order: the report puts them in it
        LearningRates = [1e-3, 1e-4],
        Threads = 1,
        AlignRunsAtOnce = runsAtOnce,
        SftEpochs = 4, SftLearningRate = 3e-3, AlignEpochs = 1,
        Model = new DemoSettings().Model with { HiddenSize = 32, NumHiddenLayers = 1 },
        Data = new DemoDataSettings { SftExamplesPerFamily = 300, PairPromptsPerFamily = 40, EvalPromptsPerFamily = 10 },
    };

    /// <summary>`simper ARGS` as the tests run it: the CLI assembly copied beside the tests.</summary>
    private static ProcessStartInfo Simper(IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo("dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Simper.Cli.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        return start;
    }

    [Fact]
    public void RunsInChildProcessesSideBySideGiveWhatTheyGiveOneAfterAnotherInProcess()
    {
        using var folder = new TempFolder();
        var (one, two) = (folder.File("one"), folder.File("two"));
        var inProcess = new DemoPipeline(Tiny(1), one, TextWriter.Null).Run();
        var log = new StringWriter();
        var sideBySide = new DemoPipeline(Tiny(2), two, log, Simper).Run();

        Assert.Contains("2 runs at a time, each on one thread", log.ToString());
        Assert.Equal(9, inProcess.Scores.Count);
        Assert.Equal(inProcess.Scores.Count, sideBySide.Scores.Count);
        foreach (var (a, b) in inProcess.Scores.Zip(sideBySide.Scores))
        {
            Assert.Equal((a.Method, a.LearningRate, a.Prompts), (b.Method, b.LearningRate, b.Prompts));
            Assert.Equal(a.AccuracyByFamily.OrderBy(kv => kv.Key), b.AccuracyByFamily.OrderBy(kv => kv.Key));
        }
        foreach (var method in Tiny(1).Methods)
            foreach (var lr in Tiny(1).LearningRates)
            {
                var run = Path.Combine(DemoRun.RunsFolder, DemoRun.RunName(method, lr));
                var metrics = File.ReadAllText(Path.Combine(one, run, MetricsLog.FileName));
                Assert.Contains("\"logps/chosen\"", metrics);
                Assert.Equal(metrics, File.ReadAllText(Path.Combine(two, run, MetricsLog.FileName)));
                Assert.Equal(File.ReadAllBytes(Path.Combine(one, run, "model.safetensors")), File.ReadAllBytes(Path.Combine(two, run, "model.safetensors")));
            }

        // Rows in the catalog's order, SFT first, in every table of both runs; the reports alike but for their folder.
        var expected = new[] { DemoResults.SftMethod }.Concat(ObjectiveCatalog.Names.Where(Tiny(1).Methods.Contains)).ToList();
        foreach (var results in new[] { inProcess, sideBySide })
            foreach (var view in AccuracyTable.Views(results))
                Assert.Equal(expected, AccuracyTable.Build(results, view).Rows.Select(r => r.Method));
        Assert.Equal(File.ReadAllText(Path.Combine(one, "report.md")).Replace(one, "DIR"), File.ReadAllText(Path.Combine(two, "report.md")).Replace(two, "DIR"));
    }

    [Fact]
    public void PiecesRunTogetherUpToTheLimitAndEachOnce()
    {
        // Two pieces that wait for each other finish only if they run at the same time.
        using var both = new Barrier(2);
        var ran = new int[6];
        var running = 0;
        var most = 0;
        var work = Enumerable.Range(0, 6).Select(i => (Action)(() =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            if (i < 2) Assert.True(both.SignalAndWait(TimeSpan.FromSeconds(30)), "the first two pieces ran together");
            else Thread.Sleep(10);
            Interlocked.Increment(ref ran[i]);
            Interlocked.Decrement(ref running);
        })).ToList();

        SideBySide.Run(work, atOnce: 2);

        Assert.All(ran, count => Assert.Equal(1, count));
        Assert.Equal(2, most);
    }

    [Fact]
    public void AFailingPieceFailsTheWholeWithItsOwnError()
    {
        var work = Enumerable.Range(0, 4).Select(i => (Action)(() =>
        {
            if (i == 2) throw new SimperException("piece 2 failed");
        })).ToList();

        var error = Assert.Throws<SimperException>(() => SideBySide.Run(work, atOnce: 2));
        Assert.Equal("piece 2 failed", error.Message);
    }

    [Fact]
    public void AFailingChildProcessIsOneLineNamingTheCommand()
    {
        var error = Assert.Throws<SimperException>(() =>
            ChildProcess.Run(Simper, ["demo", "score", "--model", "no-such-model", "--data", "no-such.jsonl"], TextWriter.Null));

        Assert.StartsWith("simper demo score exited with code 2: error: ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
    }
}
