using System.Diagnostics;
using System.Text;

namespace Simper.Tokenization;

/// <summary>
/// Encoding speed of a <see cref="ModelTokenizer"/> on a text taken as documents, one per line, the way a dataset's
/// rows are encoded: all cores at once through <see cref="ModelTokenizer.EncodeBatch"/>, and one thread alone.
/// </summary>
public sealed record TokenizerThroughput(long Bytes, int Tokens, TimeSpan Elapsed, TimeSpan SingleThreadElapsed)
{
    public double TokensPerSecond => Tokens / Elapsed.TotalSeconds;
    public double MegabytesPerSecond => Bytes / 1e6 / Elapsed.TotalSeconds;
    public double SingleThreadMegabytesPerSecond => Bytes / 1e6 / SingleThreadElapsed.TotalSeconds;
    public static int Threads => Environment.ProcessorCount;

    /// <summary>Times two batch encodings of <paramref name="text"/>'s lines and keeps the faster (the first warms caches).</summary>
    public static TokenizerThroughput Measure(ModelTokenizer tokenizer, string text)
    {
        var documents = text.Split('\n');
        TimeSpan elapsed = TimeSpan.MaxValue;
        int tokens = 0;
        for (int run = 0; run < 2; run++)
        {
            var clock = Stopwatch.StartNew();
            tokens = tokenizer.EncodeBatch(documents, addSpecialTokens: false).Sum(ids => ids.Count);
            if (clock.Elapsed < elapsed) elapsed = clock.Elapsed;
        }
        var single = Stopwatch.StartNew();
        int singleTokens = documents.Sum(d => tokenizer.Encode(d, addSpecialTokens: false).Count);
        single.Stop();
        if (singleTokens != tokens) throw new InvalidOperationException($"batch gave {tokens} tokens, one thread {singleTokens}");
        return new TokenizerThroughput(Encoding.UTF8.GetByteCount(text), tokens, elapsed, single.Elapsed);
    }

    public override string ToString() =>
        $"{Bytes / 1e6:F1} MB at {MegabytesPerSecond:F2} MB/s on {Threads} threads, {TokensPerSecond:F0} tokens/s " +
        $"(one thread: {SingleThreadMegabytesPerSecond:F2} MB/s)";
}
