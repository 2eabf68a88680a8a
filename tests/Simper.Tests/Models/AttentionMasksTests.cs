using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Models;

/// <summary>Which padding masks become a dense attention mask, and which leave plain causal attention exact.</summary>
public class AttentionMasksTests
{
    private static Tensor Padding(long[,] rows) => torch.tensor(rows);

    [Fact]
    public void RightPaddedRowsNeedNoMask()
    {
        using var scope = NewDisposeScope();
        Assert.Null(AttentionMasks.For(Padding(new long[,] { { 1, 1, 1, 0 }, { 1, 1, 1, 1 }, { 1, 0, 0, 0 } }), 4, 0, CPU));
    }

    [Fact]
    public void LeftPaddedRowsGetCausalAndPaddingMaskWithEachQuerySeeingItself()
    {
        using var scope = NewDisposeScope();
        var mask = AttentionMasks.For(Padding(new long[,] { { 0, 1, 1 } }), 3, 0, CPU)!; // [1, 1, 3, 3]
        Assert.Equal(new long[] { 1, 1, 3, 3 }, mask.shape);
        Assert.Equal(new[] { true, false, false, /**/ false, true, false, /**/ false, true, true }, mask.data<bool>().ToArray());
    }

    [Fact]
    public void RightPaddedRowsAfterCachedPositionsKeepTheirMask()
    {
        using var scope = NewDisposeScope();
        // Two new positions after two cached ones, the last of them padding: the real query at position 2 sees keys
        // 0..2; the padding query at position 3 sees the real keys and itself.
        var mask = AttentionMasks.For(Padding(new long[,] { { 1, 1, 1, 0 } }), 2, 2, CPU)!; // [1, 1, 2, 4]
        Assert.Equal(new[] { true, true, true, false, /**/ true, true, true, true }, mask.data<bool>().ToArray());
    }
}
