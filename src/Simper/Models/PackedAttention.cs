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
/// Variable-length attention over one packed row [1, N] holding several independent sequences. The blocks tile the
/// row in order and each runs its own scaled-dot-product attention, so the work grows with the sum of the squared
/// block lengths rather than with the square of the packed length; the linear layers, norms and MLP meanwhile run
/// on the packed tokens with no padding at all.
/// </summary>
public sealed class PackedAttention
{
    public IReadOnlyList<AttentionBlock> Blocks { get; }

    /// <summary>Number of positions the blocks cover (the packed row's length).</summary>
    public long Length { get; }

    public PackedAttention(IReadOnlyList<AttentionBlock> blocks)
    {
        long end = 0;
        foreach (var block in blocks)
        {
            if (block.QueryStart != end || block.QueryLength < 1)
                throw new ArgumentException($"attention block at {block.QueryStart} (length {block.QueryLength}) does not continue the row at {end}", nameof(blocks));
            if (block.PrefixLength < 0 || block.PrefixStart < 0 || block.PrefixStart + block.PrefixLength > block.QueryStart)
                throw new ArgumentException($"attention block at {block.QueryStart} has a prefix [{block.PrefixStart}, +{block.PrefixLength}) that does not lie before it", nameof(blocks));
            end = block.QueryEnd;
        }
        Blocks = blocks;
        Length = end;
    }

    /// <summary>Attention output [1, NH, N, D] for q, k, v [1, NH, N, D] (k and v already repeated for grouped-query heads).</summary>
    public Tensor Attend(Tensor q, Tensor k, Tensor v)
    {
        using var scope = torch.NewDisposeScope();
        var outputs = new Tensor[Blocks.Count];
        for (var i = 0; i < Blocks.Count; i++)
        {
            var b = Blocks[i];
            var query = q.narrow(2, b.QueryStart, b.QueryLength); // [1, NH, Q, D]
            var keys = k.narrow(2, b.QueryStart, b.QueryLength);  // [1, NH, Q, D]
            var values = v.narrow(2, b.QueryStart, b.QueryLength);
            if (b.PrefixLength == 0)
            {
                outputs[i] = nn.functional.scaled_dot_product_attention(query, keys, values, is_casual: true); // [1, NH, Q, D]
                continue;
            }
            keys = torch.cat([k.narrow(2, b.PrefixStart, b.PrefixLength), keys], 2);     // [1, NH, P+Q, D]
            values = torch.cat([v.narrow(2, b.PrefixStart, b.PrefixLength), values], 2); // [1, NH, P+Q, D]
            var mask = PrefixCausal(b.PrefixLength, b.QueryLength, q.device);             // [Q, P+Q]
            outputs[i] = nn.functional.scaled_dot_product_attention(query, keys, values, mask);
        }
        return torch.cat(outputs, 2).MoveToOuterDisposeScope(); // [1, NH, N, D]
    }

    /// <summary>
    /// The same attention pattern as a dense boolean mask [length, length] (true = may attend), for a padded batch
    /// row; positions past <see cref="Length"/> are padding and see only themselves, so they stay finite.
    /// </summary>
    public Tensor DenseMask(long length, Device device)
    {
        if (length < Length) throw new ArgumentException($"mask length {length} is shorter than the packed row ({Length})", nameof(length));
        var allowed = new bool[length * length];
        foreach (var b in Blocks)
            for (var q = 0L; q < b.QueryLength; q++)
            {
                var row = (b.QueryStart + q) * length;
                for (var key = 0L; key < b.PrefixLength; key++) allowed[row + b.PrefixStart + key] = true;
                for (var key = 0L; key <= q; key++) allowed[row + b.QueryStart + key] = true;
            }
        for (var p = Length; p < length; p++) allowed[p * length + p] = true;
        return torch.tensor(allowed, [length, length], device: device);
    }

    /// <summary>[Q, P+Q]: query i sees all P prefix keys and its own span's keys 0..i.</summary>
    private static Tensor PrefixCausal(long prefixLength, long queryLength, Device device)
    {
        using var rows = torch.arange(queryLength, device: device).unsqueeze(1) + prefixLength; // [Q, 1]
        using var cols = torch.arange(prefixLength + queryLength, device: device).unsqueeze(0); // [1, P+Q]
        return cols.le(rows);
    }
}
