using Simper.Training;

namespace Simper.Tests.Training;

public class ProgressReporterTests
{
    [Fact]
    public void FormatsTheProgressLine() =>
        Assert.Equal("step 10/100 | loss 0.1234 | 1234 tok/s | ETA 00:01:23",
            new ProgressUpdate(10, 100, 0.12344, 1234.4, TimeSpan.FromSeconds(83)).ToString());

    [Theory]
    [InlineData(0, "00:00:00")]
    [InlineData(59.2, "00:01:00")]      // rounds up: a remaining fraction of a second is still time to wait
    [InlineData(3723, "01:02:03")]
    [InlineData(90061, "25:01:01")]     // past a day the hours keep counting
    public void FormatsEtaAsHoursMinutesSeconds(double seconds, string expected) =>
        Assert.Equal(expected, ProgressUpdate.FormatEta(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void SmoothsSpeedAndEtaWithAnExponentialMovingAverage()
    {
        var sink = new RecordingSink();
        var reporter = new ProgressReporter(sink, totalSteps: 100, smoothing: 0.5);

        // First step seeds the averages: 1000 tokens in 2 s -> 500 tok/s, 99 steps left x 2 s = 198 s.
        var first = reporter.Step(1, 0.7, tokens: 1000, TimeSpan.FromSeconds(2));
        Assert.Equal(500, first.TokensPerSecond, 9);
        Assert.Equal(TimeSpan.FromSeconds(198), first.Eta);

        // Second: seconds 0.5*4 + 0.5*2 = 3, tokens 0.5*3000 + 0.5*1000 = 2000 -> 666.67 tok/s; 98 x 3 s = 294 s.
        var second = reporter.Step(2, 0.65, tokens: 3000, TimeSpan.FromSeconds(4));
        Assert.Equal(2000.0 / 3.0, second.TokensPerSecond, 9);
        Assert.Equal(TimeSpan.FromSeconds(294), second.Eta);
        Assert.Equal("step 2/100 | loss 0.6500 | 667 tok/s | ETA 00:04:54", second.ToString());
        Assert.Equal([first, second], sink.Updates);
    }

    [Fact]
    public void TextSinkPrintsEveryNthStepAndTheLast()
    {
        var writer = new StringWriter { NewLine = "\n" };
        var reporter = new ProgressReporter(new TextProgressSink(writer, everySteps: 2), totalSteps: 5);
        for (var step = 1; step <= 5; step++) reporter.Step(step, 1.0 / step, tokens: 100, TimeSpan.FromSeconds(1));
        reporter.Finish();
        Assert.Equal(
            "step 2/5 | loss 0.5000 | 100 tok/s | ETA 00:00:03\n" +
            "step 4/5 | loss 0.2500 | 100 tok/s | ETA 00:00:01\n" +
            "step 5/5 | loss 0.2000 | 100 tok/s | ETA 00:00:00\n",
            writer.ToString());
    }

    private sealed class RecordingSink : IProgressSink
    {
        public List<ProgressUpdate> Updates { get; } = [];
        public void Report(ProgressUpdate update) => Updates.Add(update);
        public void Finish() { }
    }
}
