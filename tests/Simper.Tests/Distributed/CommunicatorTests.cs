using System.Runtime.InteropServices;
using Simper.Distributed;
using Simper.Runtime;
using TorchSharp;

namespace Simper.Tests.Distributed;

public class CommunicatorTests
{
    [Fact]
    public void OneProcessCollectivesLeaveValuesAsTheyAre()
    {
        var ranks = SingleProcess.Instance;
        Assert.Equal((0, 1), (ranks.Rank, ranks.Size));
        float[] values = [1.5f, -2f];
        ranks.AllReduceSum(values);
        Assert.Equal([1.5f, -2f], values);
        var gathered = ranks.AllGather([1, 2, 3]);
        Assert.Equal([1, 2, 3], Assert.Single(gathered));
        using var gradient = torch.tensor(new[] { 3f, 4f });
        Assert.Equal(0, ranks.AllReduceSum([gradient]));
        Assert.Equal([3f, 4f], gradient.data<float>().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => ranks.Broadcast(new byte[1], root: 1));
    }

    [SkippableFact]
    public void OutsideMpirunTheWorldIsTheLoneProcess()
    {
        Skip.If(Communicators.LaunchedByMpi, "the tests themselves run under mpirun");
        Assert.Same(SingleProcess.Instance, Communicators.World);
        Assert.Equal(0, Communicators.EnvironmentRank);
    }

    [Theory]
    [InlineData(2, 2, 1)]
    [InlineData(1, 2, 1)]
    [InlineData(16, 4, 4)]
    [InlineData(6, 4, 1)]
    [InlineData(8, 1, 8)]
    public void EachRankTakesItsShareOfTheCores(int cores, int ranks, int threads) =>
        Assert.Equal(threads, RankThreads.For(cores, ranks));

    [SkippableFact]
    public void OpenMpThreadsSpinBrieflyThenSleepUnlessTheUserChoseOtherwise()
    {
        (string, string)[] shortSpin = [("OMP_WAIT_POLICY", "PASSIVE"), ("GOMP_SPINCOUNT", "10000")];
        Assert.Equal(shortSpin, OpenMpWaitPolicy.Choose(null, null));
        Assert.Equal(shortSpin, OpenMpWaitPolicy.Choose("", " "));
        Assert.Empty(OpenMpWaitPolicy.Choose("ACTIVE", null));
        Assert.Empty(OpenMpWaitPolicy.Choose(null, "0"));
        // The library applied it natively on load, where libtorch's OpenMP runtime reads it.
        Skip.IfNot(OperatingSystem.IsLinux(), "the native environment is set on Linux");
        Assert.False(string.IsNullOrEmpty(Marshal.PtrToStringUTF8(GetEnv(OpenMpWaitPolicy.Variable))));
    }

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern nint GetEnv(string name);
}
