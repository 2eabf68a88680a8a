using System.Buffers.Binary;
using Simper.Training;

namespace Simper.Tests.Training;

public class TrainingPlotsTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void DrawsEveryChartWithTrainingAndEvaluationSeries()
    {
        using var dir = new TempFolder();
        using (var log = new MetricsLog(dir.Path))
        {
            for (var step = 1; step <= 40; step++)
            {
                log.LogTraining(step, step / 40.0, PreferenceMetrics(step, noise: 0.05 * Math.Sin(step)));
                if (step % 10 == 0) log.LogEvaluation(step, step / 40.0, PreferenceMetrics(step, noise: 0));
            }
        }
        var plots = Path.Combine(dir.Path, "plots");
        var written = TrainingPlots.Write(Path.Combine(dir.Path, MetricsLog.FileName), plots);

        Assert.Equal(["loss.png", "rewards.png", "margins.png", "accuracies.png", "logps.png"],
            written.Select(p => Path.GetFileName(p)).ToArray());
        foreach (var path in written)
        {
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(PngSignature, bytes[..8]);
            // IHDR follows the signature: 4-byte length, "IHDR", then big-endian width and height.
            Assert.Equal(TrainingPlots.Width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4)));
            Assert.Equal(TrainingPlots.Height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4)));
            Assert.True(bytes.Length > 15_000, $"{path} is only {bytes.Length} bytes");
        }
    }

    [Fact]
    public void SkipsChartsWithoutData()
    {
        using var dir = new TempFolder();
        var records = Enumerable.Range(1, 5)
            .Select(s => new MetricsRecord(s, s / 5.0, new Dictionary<string, double> { [MetricNames.Loss] = 2.0 / s }))
            .ToList();
        var written = TrainingPlots.Write(records, dir.Path);
        Assert.Equal(["loss.png"], written.Select(p => Path.GetFileName(p)).ToArray());
        Assert.Equal(["loss.png"], Directory.GetFiles(dir.Path).Select(p => Path.GetFileName(p)).ToArray());
    }

    internal static Dictionary<string, double> PreferenceMetrics(int step, double noise)
    {
        var progress = step / 40.0;
        return new Dictionary<string, double>
        {
            [MetricNames.Loss] = 0.69 * Math.Exp(-progress) + noise,
            [MetricNames.RewardsChosen] = 0.5 * progress + noise,
            [MetricNames.RewardsRejected] = -1.5 * progress - noise,
            [MetricNames.RewardsMargins] = 2.0 * progress + 2 * noise,
            [MetricNames.RewardsAccuracies] = Math.Min(1, 0.5 + 0.5 * progress + noise),
            [MetricNames.LogpsChosen] = -80 + 5 * progress,
            [MetricNames.LogpsRejected] = -85 - 20 * progress,
        };
    }
}
