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

    /// <summary>Times one encoding of <paramref name="text"/> by each, after warming both on its first 64 KiB.</summary>
    public static TokenizerThroughput Measure(ModelTokenizer tokenizer, string text)
    {
        var reference = tokenizer.ReferenceTokenizer;
        var warmUp = text[..Math.Min(text.Length, 1 << 16)];
        tokenizer.Encode(warmUp, addSpecialTokens: false);
        reference.EncodeToIds(warmUp);

        var clock = Stopwatch.StartNew();
        int tokens = tokenizer.Encode(text, addSpecialTokens: false).Count;
        var elapsed = clock.Elapsed;
        clock.Restart();
        int referenceTokens = reference.EncodeToIds(text).Count;
        return new TokenizerThroughput(Encoding.UTF8.GetByteCount(text), tokens, elapsed, referenceTokens, clock.Elapsed);
    }

    public override string ToString() =>
        $"{Bytes / 1e6:F1} MB at {MegabytesPerSecond:F2} MB/s, {TokensPerSecond:F0} tokens/s " +
        $"(Microsoft.ML.Tokenizers alone: {ReferenceMegabytesPerSecond:F2} MB/s)";
}
