using Simper.Data;
using Simper.Scoring;
using Simper.Text;

namespace Simper.Bench;

/// <summary>How the prompt and response lengths of the benchmark's random pairs are drawn.</summary>
public enum BenchLengths
{
    /// <summary>Every prompt has the given prompt length, every response the given response length.</summary>
    Fixed,
    /// <summary>Prompts uniform in 32..256 tokens, each response uniform in 16..128.</summary>
    Mixed,
    /// <summary>
    /// Each sequence (prompt + response) uniform in 32..320 tokens: a pair draws its chosen and rejected lengths, the
    /// prompt is half the shorter one and each response the rest. Wide spread = much padding in a padded batch.
    /// </summary>
    Spread,
}

/// <summary>Random preference pairs for timing: token ids uniform over the vocabulary except the special ids.</summary>
public static class BenchBatches
{
    /// <summary>Ids below this are left out so no random token is a pad, BOS or EOS id of the usual layouts.</summary>
    public const int FirstOrdinaryId = 3;

    public static IReadOnlyList<EncodedPair> Create(int pairs, BenchLengths lengths, int promptLength, int responseLength, int vocabSize, Random random)
    {
        if (vocabSize <= FirstOrdinaryId) throw new SimperException($"vocabulary of {vocabSize} tokens: expected more than {FirstOrdinaryId}");
        var source = new RowSource("bench", 0);
        var batch = new List<EncodedPair>(pairs);
        for (var i = 0; i < pairs; i++)
        {
            var (p, c, r) = Lengths(lengths, promptLength, responseLength, random);
            batch.Add(new EncodedPair(Tokens(p, vocabSize, random), Tokens(c, vocabSize, random), Tokens(r, vocabSize, random), null, null, source));
        }
        return batch;
    }

    /// <summary>Real tokens the model processes for the batch under <paramref name="packing"/>: the prompt once per sequence, or once per pair when shared.</summary>
    public static long Tokens(IReadOnlyList<EncodedPair> batch, PairPacking packing) =>
        Blocks(batch, packing).Sum(b => b.Queries);

    /// <summary>Positions whose log-probabilities the loss needs: one per response token, chosen and rejected.</summary>
    public static long Scored(IReadOnlyList<EncodedPair> batch) => batch.Sum(p => (long)p.Chosen.Length + p.Rejected.Length);

    /// <summary>The attention blocks of the batch under <paramref name="packing"/>; padding attends nothing that counts.</summary>
    public static IEnumerable<AttendedBlock> Blocks(IReadOnlyList<EncodedPair> batch, PairPacking packing)
    {
        var shared = packing is PairPacking.SharedPrompt or PairPacking.SharedPromptPaddingFree;
        foreach (var pair in batch)
        {
            long p = pair.Prompt.Length, c = pair.Chosen.Length, r = pair.Rejected.Length;
            yield return new AttendedBlock(p + c, p + c);
            yield return shared ? new AttendedBlock(r, p + r) : new AttendedBlock(p + r, p + r);
        }
    }

    private static (int Prompt, int Chosen, int Rejected) Lengths(BenchLengths lengths, int promptLength, int responseLength, Random random)
    {
        switch (lengths)
        {
            case BenchLengths.Fixed:
                return (promptLength, responseLength, responseLength);
            case BenchLengths.Mixed:
                return (random.Next(32, 257), random.Next(16, 129), random.Next(16, 129));
            case BenchLengths.Spread:
                int chosen = random.Next(32, 321), rejected = random.Next(32, 321);
                var prompt = Math.Min(chosen, rejected) / 2;
                return (prompt, chosen - prompt, rejected - prompt);
            default:
                throw new ArgumentOutOfRangeException(nameof(lengths), lengths, "unknown length mode");
        }
    }

    private static int[] Tokens(int count, int vocabSize, Random random)
    {
        var ids = new int[count];
        for (var i = 0; i < count; i++) ids[i] = random.Next(FirstOrdinaryId, vocabSize);
        return ids;
    }
}
