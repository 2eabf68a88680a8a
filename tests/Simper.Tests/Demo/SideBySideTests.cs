using System.Text.Json.Nodes;
using Simper.Checkpoints;
using Simper.Demo;
using Simper.Demo.Report;
using Simper.Models;
using Simper.Objectives;
using Simper.Training;
using TorchSharp;

namespace Simper.Tests.Demo;

/// <summary>
/// The demo's alignment runs side by side give what they give one at a time: the same scores, the same training
/// logs byte for byte, and the report's rows in the same order.
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

    [Fact]
    public void RunsSideBySideGiveWhatTheyGiveOneAtATime()
    {
        using var folder = new TempFolder();
        var oneAtATime = new DemoPipeline(Tiny(1), folder.File("one"), TextWriter.Null).Run();
        var log = new StringWriter();
        var sideBySide = new DemoPipeline(Tiny(2), folder.File("two"), log).Run();

        Assert.Contains("2 at a time on one thread each", log.ToString());
        Assert.Equal(9, oneAtATime.Scores.Count);
        foreach (var (one, two) in oneAtATime.Scores.Zip(sideBySide.Scores))
        {
            Assert.Equal((one.Method, one.LearningRate), (two.Method, two.LearningRate));
            Assert.Equal(one.AccuracyByFamily.OrderBy(kv => kv.Key), two.AccuracyByFamily.OrderBy(kv => kv.Key));
        }
        foreach (var method in Tiny(1).Methods)
            foreach (var lr in Tiny(1).LearningRates)
            {
                var run = Path.Combine(DemoRun.RunsFolder, DemoRun.RunName(method, lr), MetricsLog.FileName);
                var metrics = File.ReadAllText(Path.Combine(folder.File("one"), run));
                Assert.Contains("\"logps/chosen\"", metrics);
                Assert.Equal(metrics, File.ReadAllText(Path.Combine(folder.File("two"), run)));
            }

        // Rows in the catalog's order, SFT first, in every table and in both reports.
        var expected = new[] { DemoResults.SftMethod }.Concat(ObjectiveCatalog.Names.Where(Tiny(1).Methods.Contains)).ToList();
        foreach (var results in new[] { oneAtATime, sideBySide })
            foreach (var view in AccuracyTable.Views(results))
                Assert.Equal(expected, AccuracyTable.Build(results, view).Rows.Select(r => r.Method));
        Assert.Equal(File.ReadAllText(Path.Combine(folder.File("one"), "report.md")).Replace(folder.File("one"), "DIR"),
            File.ReadAllText(Path.Combine(folder.File("two"), "report.md")).Replace(folder.File("two"), "DIR"));
    }

    [Fact]
    public void WorkersReturnResultsInTheOrderGivenAndOnOneThreadEach()
    {
        var work = Enumerable.Range(0, 7).Select(i => (Func<(int, int)>)(() =>
        {
            Thread.Sleep(7 - i); // later pieces finish first
            return (i, torch.get_num_threads());
        })).ToList();

        var results = SideBySide.Run(work, atOnce: 3);

        Assert.Equal(Enumerable.Range(0, 7), results.Select(r => r.Item1));
        Assert.All(results, r => Assert.Equal(1, r.Item2));
    }

    [Fact]
    public void AFailingPieceFailsTheWholeWithItsOwnError()
    {
        var work = Enumerable.Range(0, 4).Select(i => (Func<int>)(() =>
            i == 2 ? throw new SimperException("piece 2 failed") : i)).ToList();

        var error = Assert.Throws<SimperException>(() => SideBySide.Run(work, atOnce: 2));
        Assert.Equal("piece 2 failed", error.Message);
    }
}

/// <summary>
/// Why the side-by-side runs can share libtorch's process-wide default generator: nothing an alignment run of any
/// method computes, as the demo configures it, depends on that generator. (Loading a model draws from it for initial
/// weights the checkpoint then overwrites, so the runs do draw; what they draw is never used.) A run with another
/// thread reseeding and drawing from the generator all the while writes the same log and model as a quiet run. Alone,
/// so that the quiet run is quiet.
/// </summary>
[Collection(nameof(DefaultGeneratorCollection))]
public class DefaultGeneratorTests
{
    [Fact]
    public void DemoAlignmentRunsDoNotDependOnTheDefaultGenerator()
    {
        using var folder = new TempFolder();
        RandomModelFolder.Create(folder.File("model"), ModelPresets.Tiny, seed: 3);
        DemoData.WriteLines(folder.File("pairs.jsonl"), Enumerable.Range(0, 8).Select(i => new JsonObject
        {
            ["prompt"] = $"copy {i}{i + 1}=", ["chosen"] = $"{i}{i + 1}", ["rejected"] = $"{i + 1}{i}",
        }));
        foreach (var method in ObjectiveCatalog.Names)
        {
            var quiet = Train(folder, method, $"{method}-quiet");
            var draws = 0;
            using var stop = new CancellationTokenSource();
            var disturber = new Thread(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    torch.random.manual_seed(1000 + draws++);
                    using var _ = torch.rand(256);
                }
            });
            disturber.Start();
            var disturbed = Train(folder, method, $"{method}-disturbed");
            stop.Cancel();
            disturber.Join();

            Assert.True(draws > 0, "the other thread drew while the run trained");
            Assert.Equal(File.ReadAllText(Path.Combine(quiet, MetricsLog.FileName)), File.ReadAllText(Path.Combine(disturbed, MetricsLog.FileName)));
            Assert.True(File.ReadAllBytes(Path.Combine(quiet, "model.safetensors")).SequenceEqual(File.ReadAllBytes(Path.Combine(disturbed, "model.safetensors"))),
                $"{method}: the model trained while another thread drew differs from the quiet run's");
        }
    }

    private static string Train(TempFolder folder, string method, string output)
    {
        new TrainingJob
        {
            ModelPath = folder.File("model"), DataPath = folder.File("pairs.jsonl"), OutputPath = folder.File(output),
            Settings = new TrainingSettings
            {
                Method = method, LearningRate = 1e-3, MaxSteps = 2, BatchSize = 4, GradientAccumulationSteps = 1,
                LoggingSteps = 1, SaveSteps = 0, Seed = 17, Threads = 1, MaxLength = 32, MaxPromptLength = 16,
            },
        }.Run(new TextProgressSink(TextWriter.Null), TextWriter.Null);
        return folder.File(output);
    }
}

[CollectionDefinition(nameof(DefaultGeneratorCollection), DisableParallelization = true)]
public class DefaultGeneratorCollection;
