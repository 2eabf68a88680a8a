using Simper.Kernels;
using Simper.Models;
using Simper.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Packing;

public class PackedLayoutTests
{
    [Fact]
    public void PairThenSequenceLayoutIsAsWorkedOutByHand()
    {
        var row = new PackedRow();
        row.AddPair([10, 11, 12], [20, 21], [30, 31, 32], chosenOwner: 0, rejectedOwner: 1);
        row.AddSequence([40], [50, 51], owner: 2);

        Assert.Equal(new long[] { 10, 11, 12, 20, 21, 30, 31, 32, 40, 50, 51 }, row.Ids);
        // Rejected restarts at the prompt's end (3); the next sequence restarts at 0.
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 3, 4, 5, 0, 1, 2 }, row.Positions);
        Assert.Equal([new AttentionBlock(0, 5), new AttentionBlock(5, 3, 0, 3), new AttentionBlock(8, 3)], row.Blocks);
        // Rejected's first token is predicted from the prompt's last position (2), not from chosen's last (4).
        Assert.Equal([
            new ScoredToken(2, 20, 0), new ScoredToken(3, 21, 0),
            new ScoredToken(2, 30, 1), new ScoredToken(5, 31, 1), new ScoredToken(6, 32, 1),
            new ScoredToken(8, 50, 2), new ScoredToken(9, 51, 2)], row.Scored);
    }

    [Fact]
    public void EmptyPromptLeavesEachFirstResponseTokenUnscored()
    {
        var row = new PackedRow();
        row.AddPair([], [20, 21], [30, 31], 0, 1);
        Assert.Equal([new ScoredToken(0, 21, 0), new ScoredToken(2, 31, 1)], row.Scored);
        Assert.Equal([new AttentionBlock(0, 2), new AttentionBlock(2, 2, 0, 0)], row.Blocks);
    }

    [Fact]
    public void DenseMaskKeepsRejectedAwayFromChosen()
    {
        var packed = new PackedAttention([new AttentionBlock(0, 5), new AttentionBlock(5, 3, 0, 3), new AttentionBlock(8, 2)]);
        using var mask = packed.DenseMask(11, torch.CPU);
        var m = mask.data<bool>().ToArray();
        int[] Seen(int query) => [.. Enumerable.Range(0, 11).Where(k => m[query * 11 + k])];
        Assert.Equal([0, 1, 2, 3], Seen(3));       // chosen: prompt + itself
        Assert.Equal([0, 1, 2, 5], Seen(5));       // rejected: prompt + itself, never chosen 3..4
        Assert.Equal([0, 1, 2, 5, 6, 7], Seen(7));
        Assert.Equal([8, 9], Seen(9));             // next sequence sees nothing before it
        Assert.Equal([10], Seen(10));              // padding sees only itself
    }

    public static TheoryData<AttentionBlock[]> Layouts => new()
    {
        // Causal sequences of different lengths (stacked without a mask).
        new[] { new AttentionBlock(0, 4), new AttentionBlock(4, 1), new AttentionBlock(5, 6), new AttentionBlock(11, 2) },
        // Shared prefixes, one reaching back across groups.
        new[] { new AttentionBlock(0, 4), new AttentionBlock(4, 3, 0, 2), new AttentionBlock(7, 1), new AttentionBlock(8, 5, 2, 5) },
        // One long sequence and short ones: two attention calls, the short ones not padded to the long one.
        new[] { new AttentionBlock(0, 1), new AttentionBlock(1, 9), new AttentionBlock(10, 1), new AttentionBlock(11, 1), new AttentionBlock(12, 1) },
        // The same with a shared prefix among the short ones (masked bucket).
        new[] { new AttentionBlock(0, 9), new AttentionBlock(9, 1), new AttentionBlock(10, 1, 9, 1), new AttentionBlock(11, 1), new AttentionBlock(12, 1) },
    };

    [Fact]
    public void GroupsOfFarApartLengthsAreAttendedInSeparateCalls()
    {
        // 9·9 + 4·1·1 + two calls (2·81) = 247 < one call of 5·81 + 81 = 486.
        Assert.Equal(2, new PackedAttention([new AttentionBlock(0, 1), new AttentionBlock(1, 9), new AttentionBlock(10, 1), new AttentionBlock(11, 1), new AttentionBlock(12, 1)]).AttentionCalls);
        // Equal lengths: one call.
        Assert.Equal(1, new PackedAttention([new AttentionBlock(0, 4), new AttentionBlock(4, 4), new AttentionBlock(8, 4)]).AttentionCalls);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void PackedAttentionEqualsDenseMaskedAttention(AttentionBlock[] blocks)
    {
        var packed = new PackedAttention(blocks);
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(3);
        Tensor Random() => torch.randn([1, 2, 13, 4], dtype: ScalarType.Float64, generator: generator);
        var (q, k, v) = (Random(), Random(), Random());
        var dense = nn.functional.scaled_dot_product_attention(q, k, v, packed.DenseMask(13, torch.CPU).unsqueeze(0).unsqueeze(0));
        var actual = packed.Attend(q, k, v, KernelCall.Default);
        Assert.Equal(new long[] { 1, 2, 13, 4 }, actual.shape);
        Assert.True(actual.allclose(dense, rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void BlocksMustTileTheRowInOrder()
    {
        var gap = Assert.Throws<ArgumentException>(() => new PackedAttention([new AttentionBlock(0, 3), new AttentionBlock(4, 2)]));
        Assert.StartsWith("attention block at 4 (length 2) does not continue the row at 3", gap.Message);
        var prefixAfter = Assert.Throws<ArgumentException>(() => new PackedAttention([new AttentionBlock(0, 3), new AttentionBlock(3, 2, 2, 3)]));
        Assert.StartsWith("attention block at 3 has a prefix [2, +3) that does not lie before it", prefixAfter.Message);
    }
}
