using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Kernels;

/// <summary>
/// A run of query positions in a packed row and the keys they see: every key of the prefix span, then the query
/// span itself causally. With no prefix this is plain causal attention inside the span (one packed sequence); with a
/// prefix it is a response that shares a prompt stored elsewhere in the row.
/// </summary>
public readonly record struct AttentionBlock(long QueryStart, long QueryLength, long PrefixStart = 0, long PrefixLength = 0)
{
    public long QueryEnd => QueryStart + QueryLength;
}

/// <summary>
/// Variable-length attention over one packed row [1, N] holding several independent sequences; the linear layers,
/// norms and MLP run on the N packed tokens with no padding at all. For attention the blocks are gathered into
/// groups — a sequence, or a prompt with its two responses — and groups of similar length are stacked
/// [G, NH, L, D] (L = the bucket's longest group) for one batched attention call per bucket: padding then costs
/// only attention, never a linear layer, and one batched call runs about twice as fast as one call per sequence on
/// CPU. Lengths far apart go to separate buckets, so a short sequence is not padded to the longest one.
/// </summary>
public sealed class PackedAttention
{
    /// <summary>Groups of similar length stacked for one attention call.</summary>
    /// <param name="Positions">[G*L]: each slot's position in its own sequence (a response after a shared prompt counts from the prompt's start)</param>
    /// <param name="Windowed">whether the mask cuts a sliding window (<see cref="MaskKind.Window"/>)</param>
    private sealed record Bucket(long GroupLength, int Groups, long[] Gather, bool[]? Mask, long[] Positions, bool Windowed = false); // Gather [G*L], Mask [G, L, L] or null when causal

    private readonly IReadOnlyList<Bucket> buckets;
    private readonly long[] scatter; // [N]: slot of each packed position among all buckets' slots, in bucket order

    private PackedAttention(PackedAttention source, IReadOnlyList<Bucket> buckets)
    {
        (Blocks, Length, scatter, this.buckets) = (source.Blocks, source.Length, source.scatter, buckets);
    }

    /// <summary>
    /// The same layout with a sliding window: a query also sees only keys fewer than <paramref name="window"/>
    /// positions back in its own sequence. Buckets whose groups the window covers keep their masks (or none), so
    /// this returns the layout itself when the window cuts nothing.
    /// </summary>
    public PackedAttention Windowed(long window)
    {
        if (buckets.All(b => b.GroupLength <= window)) return this;
        return new PackedAttention(this, [.. buckets.Select(b => b.GroupLength <= window ? b : Cut(b, window))]);
    }

    private static Bucket Cut(Bucket bucket, long window)
    {
        var length = bucket.GroupLength;
        var mask = new bool[bucket.Groups * length * length];
        for (var g = 0; g < bucket.Groups; g++)
            for (var query = 0L; query < length; query++)
                for (var key = 0L; key <= (bucket.Mask is null ? query : length - 1); key++) // without a mask: causal
                {
                    var cell = (g * length + query) * length + key;
                    var distance = bucket.Positions[g * length + query] - bucket.Positions[g * length + key];
                    mask[cell] = (bucket.Mask?[cell] ?? true) && distance < window;
                }
        return bucket with { Mask = mask, Windowed = true };
    }

    public IReadOnlyList<AttentionBlock> Blocks { get; }

    /// <summary>Number of positions the blocks cover (the packed row's length).</summary>
    public long Length { get; }

    /// <summary>Batched attention calls a layer makes: one per bucket of similar group lengths.</summary>
    public int AttentionCalls => buckets.Count;

    public PackedAttention(IReadOnlyList<AttentionBlock> blocks)
    {
        long end = 0;
        var groups = new List<Group>();
        foreach (var block in blocks)
        {
            if (block.QueryStart != end || block.QueryLength < 1)
                throw new ArgumentException($"attention block at {block.QueryStart} (length {block.QueryLength}) does not continue the row at {end}", nameof(blocks));
            if (block.PrefixLength < 0 || block.PrefixStart < 0 || block.PrefixStart + block.PrefixLength > block.QueryStart)
                throw new ArgumentException($"attention block at {block.QueryStart} has a prefix [{block.PrefixStart}, +{block.PrefixLength}) that does not lie before it", nameof(blocks));
            // A block with a prefix joins the groups back to the one holding the prefix's start; otherwise it starts its own.
            var (start, members) = (block.QueryStart, new List<AttentionBlock> { block });
            while (block.PrefixLength > 0 && start > block.PrefixStart)
            {
                (start, members) = (groups[^1].Start, [.. groups[^1].Blocks, .. members]);
                groups.RemoveAt(groups.Count - 1);
            }
            groups.Add(new Group(start, block.QueryEnd, members));
            end = block.QueryEnd;
        }
        Blocks = blocks;
        Length = end;
        scatter = new long[Length];
        var list = new List<Bucket>();
        long slots = 0;
        foreach (var members in Buckets(groups))
        {
            list.Add(Stack(members, slots));
            slots += members.Count * list[^1].GroupLength;
        }
        buckets = list;
    }

    /// <summary>
    /// Attention output [1, NH, N, D] for q [1, NH, N, D] and k, v [1, KV, N, D] (KV dividing NH, grouped-query heads),
    /// each bucket's call through <see cref="KernelDispatch.Attention"/>.
    /// </summary>
    public Tensor Attend(Tensor q, Tensor k, Tensor v, KernelCall call, double? softCap = null)
    {
        using var scope = torch.NewDisposeScope();
        var (heads, headDim) = (q.size(1), q.size(3));
        var outputs = new List<Tensor>();
        foreach (var bucket in buckets)
        {
            var (length, groups) = (bucket.GroupLength, bucket.Groups);
            var gatherIndex = torch.tensor(bucket.Gather, device: q.device);
            // [1, heads, N, D] -> [G, heads, L, D]; padding slots repeat position 0 and are never attended to by real queries.
            Tensor Stacked(Tensor t) => t.index_select(2, gatherIndex).view(t.size(1), groups, length, headDim).transpose(0, 1);
            // Right-padded groups of one causal block need no mask: causality already hides the padding after each query.
            var mask = bucket.Mask is null ? null : torch.tensor(bucket.Mask, [groups, 1, length, length], device: q.device);
            var attended = KernelDispatch.Attention(Stacked(q), Stacked(k), Stacked(v), mask, causal: mask is null, call, bucket.Windowed, softCap); // [G, NH, L, D]
            outputs.Add(attended.transpose(0, 1).reshape(1, heads, groups * length, headDim));                    // [1, NH, G*L, D]
        }
        var slots = outputs.Count == 1 ? outputs[0] : torch.cat(outputs, 2);                                      // [1, NH, all slots, D]
        return slots.index_select(2, torch.tensor(scatter, device: q.device)).MoveToOuterDisposeScope();           // [1, NH, N, D]
    }

    /// <summary>
    /// The same attention pattern as a dense boolean mask [length, length] (true = may attend), for a padded batch
    /// row; positions past <see cref="Length"/> are padding and see only themselves, so they stay finite.
    /// </summary>
    public Tensor DenseMask(long length, Device device)
    {
        if (length < Length) throw new ArgumentException($"mask length {length} is shorter than the packed row ({Length})", nameof(length));
        var allowed = new bool[length * length];
        foreach (var b in Blocks) Allow(allowed, 0, length, b, 0);
        for (var p = Length; p < length; p++) allowed[p * length + p] = true;
        return torch.tensor(allowed, [length, length], device: device);
    }

    private sealed record Group(long Start, long End, List<AttentionBlock> Blocks)
    {
        public long Length => End - Start;
    }

    /// <summary>
    /// Splits the groups, longest first, into runs that minimise the attention work Σ groups · L² plus, per extra
    /// call, the work of one longest group (what a call costs beyond its arithmetic, so small savings keep one call).
    /// </summary>
    private static IEnumerable<List<Group>> Buckets(List<Group> groups)
    {
        if (groups.Count == 0) yield break;
        var sorted = groups.OrderByDescending(g => g.Length).ToList();
        var callCost = (double)sorted[0].Length * sorted[0].Length;
        var best = new double[sorted.Count + 1];   // best[j]: cost of the first j groups
        var split = new int[sorted.Count + 1];     // where the last bucket of that best starts
        for (var j = 1; j <= sorted.Count; j++)
        {
            best[j] = double.MaxValue;
            for (var i = 0; i < j; i++)
            {
                var cost = best[i] + callCost + (double)(j - i) * sorted[i].Length * sorted[i].Length;
                if (cost < best[j]) (best[j], split[j]) = (cost, i);
            }
        }
        var bounds = new List<(int From, int To)>();
        for (var j = sorted.Count; j > 0; j = split[j]) bounds.Add((split[j], j));
        foreach (var (from, to) in Enumerable.Reverse(bounds)) yield return sorted.GetRange(from, to - from);
    }

    /// <summary>The groups of one bucket right-padded to its longest, their slots numbered from <paramref name="firstSlot"/>.</summary>
    private Bucket Stack(List<Group> groups, long firstSlot)
    {
        var length = groups.Max(g => g.Length);
        var gather = new long[groups.Count * length];
        var positions = new long[groups.Count * length];
        for (var g = 0; g < groups.Count; g++)
        {
            for (var p = groups[g].Start; p < groups[g].End; p++)
            {
                var slot = g * length + p - groups[g].Start;
                (gather[slot], scatter[p]) = (p, firstSlot + slot);
            }
            // Padding slots count on from their index: they see themselves at least, and no real query sees them.
            for (var slot = 0L; slot < length; slot++) positions[g * length + slot] = slot;
            foreach (var b in groups[g].Blocks)
                for (var q = 0L; q < b.QueryLength; q++) positions[g * length + b.QueryStart - groups[g].Start + q] = b.PrefixLength + q;
        }
        if (groups.All(g => g.Blocks is [{ PrefixLength: 0 }])) return new Bucket(length, groups.Count, gather, null, positions);
        var mask = new bool[groups.Count * length * length];
        for (var g = 0; g < groups.Count; g++)
        {
            var origin = g * length * length;
            foreach (var b in groups[g].Blocks) Allow(mask, origin, length, b, groups[g].Start);
            for (var p = groups[g].Length; p < length; p++) mask[origin + p * length + p] = true;
        }
        return new Bucket(length, groups.Count, gather, mask, positions);
    }

    /// <summary>
    /// Marks what block <paramref name="b"/>'s queries see in a row-major [length, length] mask starting at
    /// <paramref name="offset"/> whose position 0 is packed position <paramref name="origin"/>: the whole prefix and
    /// their own block up to themselves.
    /// </summary>
    private static void Allow(bool[] mask, long offset, long length, AttentionBlock b, long origin)
    {
        for (var q = 0L; q < b.QueryLength; q++)
        {
            var row = offset + (b.QueryStart - origin + q) * length;
            for (var key = 0L; key < b.PrefixLength; key++) mask[row + b.PrefixStart - origin + key] = true;
            for (var key = 0L; key <= q; key++) mask[row + b.QueryStart - origin + key] = true;
        }
    }
}
