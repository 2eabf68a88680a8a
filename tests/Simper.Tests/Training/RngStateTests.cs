using Simper.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Training;

/// <summary>
/// The default generator is one per process: a test drawing from it on another thread between the capture and the
/// restore would move it, so these run alone.
/// </summary>
[Collection(nameof(RngStateTests))]
public class RngStateTests
{
    [Fact]
    public void RngStateRestoresTheSameRandomStream()
    {
        torch.manual_seed(1234);
        using var _ = torch.rand(3); // move the generator away from its freshly seeded state
        var saved = RngState.Capture();
        using var first = torch.rand(5);
        using var other = torch.rand(5);
        saved.Restore();
        using var again = torch.rand(5);
        Assert.True(first.eq(again).all().item<bool>(), "the restored stream repeats the draw after the capture");
        Assert.False(first.eq(other).all().item<bool>(), "successive draws differ, so the comparison can tell");
    }
}

[CollectionDefinition(nameof(RngStateTests), DisableParallelization = true)]
public class RngStateCollection;
