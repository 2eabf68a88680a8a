using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Models;

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
/// groups — a sequence, or a prompt with its two responses — and the groups are stacked [G, NH, L, D] (L = the
/// longest group) for one batched attention call: padding then costs only attention, never a linear layer, and one
/// batched call runs about twice as fast as one call per sequence on CPU.
/// </summary>
public sealed class PackedAttention
{
    private readonly long groupLength; // L
    private readonly long[] gather;    // [G*L]: packed position of each group slot (position 0 for padding slots)
    private readonly long[] scatter;   // [N]: group slot of each packed position
    private readonly bool[]? groupMask; // [G, L, L], or null when every group is one causal block

    public IReadOnlyList<AttentionBlock> Blocks { get; }

    /// <summary>Number of positions the blocks cover (the packed row's length).</summary>
    public long Length { get; }

    public PackedAttention(IReadOnlyList<AttentionBlock> blocks)
    {
        long end = 0;
        var groups = new List<(long Start, long End, List<AttentionBlock> Blocks)>();
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
            groups.Add((start, block.QueryEnd, members));
            end = block.QueryEnd;
        }
        Blocks = blocks;
        Length = end;
        groupLength = groups.Count == 0 ? 0 : groups.Max(g => g.End - g.Start);

        gather = new long[groups.Count * groupLength];
        scatter = new long[Length];
        for (var g = 0; g < groups.Count; g++)
            for (var p = groups[g].Start; p < groups[g].End; p++)
            {
                var slot = g * groupLength + p - groups[g].Start;
                (gather[slot], scatter[p]) = (p, slot);
            }
        if (groups.All(g => g.Blocks is [{ PrefixLength: 0 }])) return;
        groupMask = new bool[groups.Count * groupLength * groupLength];
        for (var g = 0; g < groups.Count; g++)
        {
            var origin = g * groupLength * groupLength;
            foreach (var b in groups[g].Blocks) Allow(groupMask, origin, groupLength, b, groups[g].Start);
            for (var p = groups[g].End - groups[g].Start; p < groupLength; p++) groupMask[origin + p * groupLength + p] = true;
        }
    }

    /// <summary>Attention output [1, NH, N, D] for q, k, v [1, NH, N, D] (k and v already repeated for grouped-query heads).</summary>
    public Tensor Attend(Tensor q, Tensor k, Tensor v)
    {
        using var scope = torch.NewDisposeScope();
        var (heads, headDim, groups) = (q.size(1), q.size(3), gather.Length / groupLength);
        var gatherIndex = torch.tensor(gather, device: q.device);
        // [1, NH, N, D] -> [G, NH, L, D]; padding slots repeat position 0 and are never attended to by real queries.
        Tensor Stack(Tensor t) => t.index_select(2, gatherIndex).view(heads, groups, groupLength, headDim).transpose(0, 1);
        // Right-padded groups of one causal block need no mask: causality already hides the padding after each query.
        var mask = groupMask is null ? null : torch.tensor(groupMask, [groups, 1, groupLength, groupLength], device: q.device);
        var attended = Float32Attention.Attend(Stack(q), Stack(k), Stack(v), mask, causal: mask is null); // [G, NH, L, D]
        var slots = attended.transpose(0, 1).reshape(1, heads, groups * groupLength, headDim);                                 // [1, NH, G*L, D]
        return slots.index_select(2, torch.tensor(scatter, device: q.device)).MoveToOuterDisposeScope();                       // [1, NH, N, D]
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
