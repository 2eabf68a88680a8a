namespace Simper.Training;

/// <summary>
/// Which examples each micro-batch of each optimizer step uses. Every epoch is a permutation of the examples drawn
/// from the seed and the epoch number alone, cut into micro-batches; the micro-batches of all epochs form one stream,
/// and step s takes micro-batches s·A .. s·A + A − 1 of it (A = gradient accumulation steps). Nothing depends on
/// what ran before, which is what makes resumed runs identical to uninterrupted ones.
/// </summary>
public sealed class DataPlan(int examples, int batchSize, int accumulation, int seed)
{
    /// <summary>Micro-batches in one pass over the data (the last one may be smaller).</summary>
    public int MicroBatchesPerEpoch { get; } = (examples + batchSize - 1) / batchSize;

    /// <summary>Optimizer steps that cover <paramref name="epochs"/> passes (at least one).</summary>
    public int StepsFor(double epochs) =>
        Math.Max(1, (int)Math.Ceiling(epochs * MicroBatchesPerEpoch / accumulation - 1e-9));

    /// <summary>Epochs completed after <paramref name="steps"/> optimizer steps, as a fraction.</summary>
    public double EpochAt(int steps) => (double)steps * accumulation / MicroBatchesPerEpoch;

    /// <summary>The example indices of each micro-batch of optimizer step <paramref name="step"/> (0-based).</summary>
    public IEnumerable<int[]> MicroBatches(int step)
    {
        for (int k = 0; k < accumulation; k++)
        {
            long stream = (long)step * accumulation + k;
            int epoch = (int)(stream / MicroBatchesPerEpoch), position = (int)(stream % MicroBatchesPerEpoch);
            var order = Order(epoch);
            int start = position * batchSize;
            yield return order[start..Math.Min(start + batchSize, examples)];
        }
    }

    private int _cachedEpoch = -1;
    private int[] _cachedOrder = [];

    /// <summary>The permutation of epoch <paramref name="epoch"/>: a Fisher-Yates shuffle seeded by (seed, epoch).</summary>
    /// <remarks>
    /// The seed is mixed with plain arithmetic: <see cref="HashCode"/> is salted per process, which would give a
    /// resumed process a different order. <c>new Random(int)</c> is the seeded generator whose sequence .NET keeps stable.
    /// </remarks>
    public int[] Order(int epoch)
    {
        if (epoch == _cachedEpoch) return _cachedOrder;
        var order = Enumerable.Range(0, examples).ToArray();
        new Random(unchecked(seed * 1_000_003 + epoch)).Shuffle(order);
        (_cachedEpoch, _cachedOrder) = (epoch, order);
        return order;
    }
}
