using System.Diagnostics;
using System.Text;

namespace Simper.Tokenization;

/// <summary>
/// Encoding speed of a <see cref="ModelTokenizer"/> on a text, beside the speed of the Microsoft.ML.Tokenizers
/// tokenizer it builds on, encoding the same text alone (for a SentencePiece model, the package's own
/// SentencePieceTokenizer).
/// </summary>
public sealed record TokenizerThroughput(long Bytes, int Tokens, TimeSpan Elapsed, int ReferenceTokens, TimeSpan ReferenceElapsed)
{
    public double TokensPerSecond => Tokens / Elapsed.TotalSeconds;
    public double MegabytesPerSecond => Bytes / 1e6 / Elapsed.TotalSeconds;
    public double ReferenceMegabytesPerSecond => Bytes / 1e6 / ReferenceElapsed.TotalSeconds;

    /// <summary>
    /// Times two encodings of <paramref name="text"/> by each, alternating, and keeps each one's faster run, so the
    /// BPE cache they share is equally warm for both.
    /// </summary>
    public static TokenizerThroughput Measure(ModelTokenizer tokenizer, string text)
    {
        var reference = tokenizer.ReferenceTokenizer;
        TimeSpan elapsed = TimeSpan.MaxValue, referenceElapsed = TimeSpan.MaxValue;
        int tokens = 0, referenceTokens = 0;
        for (int run = 0; run < 2; run++)
        {
            var clock = Stopwatch.StartNew();
            tokens = tokenizer.Encode(text, addSpecialTokens: false).Count;
            elapsed = Min(elapsed, clock.Elapsed);
            clock.Restart();
            referenceTokens = reference.EncodeToIds(text).Count;
            referenceElapsed = Min(referenceElapsed, clock.Elapsed);
        }
        return new TokenizerThroughput(Encoding.UTF8.GetByteCount(text), tokens, elapsed, referenceTokens, referenceElapsed);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    public override string ToString() =>
        $"{Bytes / 1e6:F1} MB at {MegabytesPerSecond:F2} MB/s, {TokensPerSecond:F0} tokens/s " +
        $"(Microsoft.ML.Tokenizers alone: {ReferenceMegabytesPerSecond:F2} MB/s)";
}
