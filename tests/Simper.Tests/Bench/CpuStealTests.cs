using Simper.Runtime;

namespace Simper.Tests.Bench;

public class CpuStealTests
{
    [Fact]
    public void ParsesTheSummaryLineOfProcStat()
    {
        var counters = CpuSteal.Parse("cpu  1621771 0 147409 10892585 7533 0 1706 137377 0 0");
        // steal is the eighth column; the total is user through steal (guest time is inside user already).
        Assert.Equal(new CpuSteal(137377, 1621771 + 147409 + 10892585 + 7533 + 1706 + 137377), counters);
    }

    [Theory]
    [InlineData("cpu  1 2 3 4 5 6 7")]        // a kernel without the steal column
    [InlineData("cpu  1 2 3 4 5 6 7 x 0 0")]  // not a number
    [InlineData(null)]
    public void AnythingElseIsUnknown(string? line) => Assert.Null(CpuSteal.Parse(line));

    [Fact]
    public void FractionIsStealOverAllTimeBetweenTwoReadings()
    {
        Assert.Equal(0.25, CpuSteal.Fraction(new CpuSteal(100, 1000), new CpuSteal(150, 1200)));
        Assert.Null(CpuSteal.Fraction(new CpuSteal(100, 1000), new CpuSteal(100, 1000))); // no time passed
        Assert.Null(CpuSteal.Fraction(null, new CpuSteal(100, 1000)));
    }
}
