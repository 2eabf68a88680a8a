using System.Text;
using Simper.Training;

namespace Simper.Tests.Training;

public class MetricsLogTests
{
    [Fact]
    public void WritesOneFlushedJsonLinePerLogWithTrlNames()
    {
        using var dir = new TempFolder();
        using var log = new MetricsLog(dir.Path);
        log.LogTraining(10, 0.25, new Dictionary<string, double> { [MetricNames.Loss] = 0.6931, [MetricNames.RewardsChosen] = 0.125 });
        // Read while the log is still open: each line must already be on disk.
        var lines = ReadShared(log.FilePath);
        Assert.Equal(["""{"step":10,"epoch":0.25,"loss":0.6931,"rewards/chosen":0.125}"""], lines);

        log.LogEvaluation(10, 0.25, new Dictionary<string, double> { [MetricNames.Loss] = 0.7, [MetricNames.RewardsAccuracies] = 0.5 });
        Assert.Equal("""{"step":10,"epoch":0.25,"eval_loss":0.7,"eval_rewards/accuracies":0.5}""", ReadShared(log.FilePath)[1]);
    }

    [Fact]
    public void ReaderReturnsRecordsIncludingNonFiniteValues()
    {
        using var dir = new TempFolder();
        using (var log = new MetricsLog(dir.Path))
        {
            log.LogTraining(1, 0.1, new Dictionary<string, double> { [MetricNames.Loss] = double.NaN, [MetricNames.GradNorm] = 3.5 });
            log.LogTraining(2, 0.2, new Dictionary<string, double> { [MetricNames.Loss] = 0.5, [MetricNames.LearningRate] = 1e-6 });
        }
        var records = MetricsLog.Read(Path.Combine(dir.Path, MetricsLog.FileName));
        Assert.Equal([1, 2], records.Select(r => r.Step).ToArray());
        Assert.True(double.IsNaN(records[0][MetricNames.Loss]!.Value));
        Assert.Equal(3.5, records[0][MetricNames.GradNorm]);
        Assert.Equal(0.2, records[1].Epoch);
        Assert.Equal(1e-6, records[1][MetricNames.LearningRate]);
        Assert.Null(records[1][MetricNames.GradNorm]);
    }

    [Fact]
    public void AppendsWhenReopenedAndDropsStepsAfterAResumePoint()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, MetricsLog.FileName);
        using (var log = new MetricsLog(dir.Path))
            foreach (var step in new[] { 10, 20, 30 })
                log.LogTraining(step, step / 100.0, new Dictionary<string, double> { [MetricNames.Loss] = step });
        MetricsLog.DropAfter(path, 20);
        using (var log = new MetricsLog(dir.Path))
            log.LogTraining(30, 0.3, new Dictionary<string, double> { [MetricNames.Loss] = 1 });
        var records = MetricsLog.Read(path);
        Assert.Equal([10, 20, 30], records.Select(r => r.Step).ToArray());
        Assert.Equal(1.0, records[2][MetricNames.Loss]);
    }

    [Fact]
    public void TruncatedLastLineIsIgnoredButCorruptionElsewhereIsReported()
    {
        using var dir = new TempFolder();
        var path = dir.File(MetricsLog.FileName);
        File.WriteAllText(path, "{\"step\":1,\"epoch\":0.1,\"loss\":1}\n{\"step\":2,\"ep");
        Assert.Single(MetricsLog.Read(path));

        File.WriteAllText(path, "{\"step\":1,\"epoch\":0.1}\n{\"epoch\":0.2}\n{\"step\":3,\"epoch\":0.3}\n");
        var e = Assert.Throws<SimperException>(() => MetricsLog.Read(path));
        Assert.Equal($"{path}:2: expected a JSON object with an integer \"step\"", e.Message);
    }

    [Fact]
    public void WritesTensorBoardEventFilesUnderRuns()
    {
        using var dir = new TempFolder();
        using (var log = new MetricsLog(dir.Path))
        {
            Assert.Equal(Path.Combine(dir.Path, "runs"), log.TensorBoardFolder);
            log.LogTraining(5, 0.5, new Dictionary<string, double> { [MetricNames.Loss] = 0.25 });
            log.LogEvaluation(5, 0.5, new Dictionary<string, double> { [MetricNames.RewardsMargins] = 1.5 });
        }
        var file = Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, "runs"), "events.out.tfevents.*"));
        var bytes = File.ReadAllBytes(file);
        var text = Encoding.ASCII.GetString(bytes);
        Assert.Contains("brain.Event:2", text);
        Assert.Contains("train/loss", text);
        Assert.Contains("train/epoch", text);
        Assert.Contains("eval/rewards/margins", text);
        // The scalar 0.25f is stored as its little-endian IEEE bytes inside the event record.
        Assert.True(IndexOf(bytes, BitConverter.GetBytes(0.25f)) >= 0);
    }

    private static string[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }
}
