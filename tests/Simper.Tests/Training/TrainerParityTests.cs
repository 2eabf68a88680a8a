using Simper.Checkpoints;
using System.Text.Json;
using Simper.Training;

namespace Simper.Tests.Training;

public class TrainerParityTests
{
    [SkippableFact]
    public void OneSimperStepOnTheParityPairsLogsTheReferenceGradientNorm()
    {
        var fixture = SharedData.Path("fixtures", "parity-llama");
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture, "expected.json")));
        using var output = new TempFolder();
        var settings = new TrainingSettings { BatchSize = 6, GradientAccumulationSteps = 1, MaxSteps = 1, LoggingSteps = 1, SaveSteps = 0 };
        var job = new TrainingJob
        {
            Model = ModelFolder.Open(Path.Combine(fixture, "checkpoint")),
            DataPath = Path.Combine(fixture, "pairs.jsonl"),
            OutputPath = output.File("run"),
            Settings = settings,
        };

        var summary = job.Run(new TextProgressSink(TextWriter.Null), TextWriter.Null);

        Assert.Equal(1, summary.Steps);
        var logged = MetricsLog.Read(Path.Combine(output.File("run"), MetricsLog.FileName)).Single();
        var gradNorm = logged[MetricNames.GradNorm]!.Value;
        var reference = expected.RootElement.GetProperty("simper_grad_norm").GetDouble();
        Assert.True(Math.Abs(gradNorm - reference) <= 1e-4 * reference, $"grad_norm {gradNorm} vs reference {reference}");
        Assert.Equal(expected.RootElement.GetProperty("losses").GetProperty("simper").GetProperty("value").GetDouble(),
            logged[MetricNames.Loss]!.Value, 1e-6);
        Assert.True(File.Exists(Path.Combine(output.File("run"), "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(output.File("run"), "checkpoint-1", "optimizer.bin")));
    }
}
