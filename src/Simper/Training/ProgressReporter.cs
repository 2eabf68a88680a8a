using System.Globalization;

namespace Simper.Training;

/// <summary>A snapshot of training progress, as shown to the user.</summary>
public sealed record ProgressUpdate(int Step, int TotalSteps, double Loss, double TokensPerSecond, TimeSpan Eta)
{
    /// <summary>One line, e.g. <c>step 10/100 | loss 0.1234 | 1234 tok/s | ETA 00:01:23</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"step {Step}/{TotalSteps} | loss {Loss:0.0000} | {TokensPerSecond:0} tok/s | ETA {FormatEta(Eta)}");

    /// <summary>Hours:minutes:seconds, hours growing past 24 rather than wrapping into days.</summary>
    public static string FormatEta(TimeSpan eta)
    {
        var seconds = (long)Math.Ceiling(Math.Max(0, eta.TotalSeconds));
        return string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:00}:{seconds / 60 % 60:00}:{seconds % 60:00}");
    }
}

/// <summary>Where progress goes: a plain text stream here, a live terminal display in the command line.</summary>
public interface IProgressSink
{
    void Report(ProgressUpdate update);
    void Finish();
}

/// <summary>Prints one progress line every <c>everySteps</c> optimizer steps (and at the last step) to a writer, stderr by default.</summary>
public sealed class TextProgressSink(TextWriter? writer = null, int everySteps = 10) : IProgressSink
{
    private readonly TextWriter _writer = writer ?? Console.Error;
    private readonly int _everySteps = everySteps >= 1 ? everySteps
        : throw new ArgumentOutOfRangeException(nameof(everySteps), everySteps, "must be at least 1");

    public void Report(ProgressUpdate update)
    {
        if (update.Step % _everySteps != 0 && update.Step != update.TotalSteps) return;
        _writer.WriteLine(update.ToString());
        _writer.Flush();
    }

    public void Finish() => _writer.Flush();
}

/// <summary>
/// Turns per-step timings into progress updates. Step time and tokens per step are smoothed with an exponential
/// moving average (weight <c>smoothing</c> on the newest step), so the speed and ETA settle instead of jumping with
/// each batch's length; throughput is the ratio of the two averages.
/// </summary>
public sealed class ProgressReporter(IProgressSink sink, int totalSteps, double smoothing = 0.1)
{
    private double? _secondsPerStep;
    private double _tokensPerStep;

    public IProgressSink Sink { get; } = sink;
    public int TotalSteps { get; } = totalSteps;

    /// <summary>Records optimizer step <paramref name="step"/> (1-based), which took <paramref name="duration"/>
    /// and processed <paramref name="tokens"/> tokens, and reports the resulting progress.</summary>
    public ProgressUpdate Step(int step, double loss, long tokens, TimeSpan duration)
    {
        var seconds = duration.TotalSeconds;
        if (_secondsPerStep is not { } average)
        {
            _secondsPerStep = seconds;
            _tokensPerStep = tokens;
        }
        else
        {
            _secondsPerStep = smoothing * seconds + (1 - smoothing) * average;
            _tokensPerStep = smoothing * tokens + (1 - smoothing) * _tokensPerStep;
        }
        var tokensPerSecond = _secondsPerStep > 0 ? _tokensPerStep / _secondsPerStep.Value : 0;
        var eta = TimeSpan.FromSeconds(_secondsPerStep.Value * Math.Max(0, TotalSteps - step));
        var update = new ProgressUpdate(step, TotalSteps, loss, tokensPerSecond, eta);
        Sink.Report(update);
        return update;
    }

    public void Finish() => Sink.Finish();
}
