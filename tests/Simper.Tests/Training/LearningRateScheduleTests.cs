using Simper.Training;
using TorchSharp;

namespace Simper.Tests.Training;

public class LearningRateScheduleTests
{
    private const double Tolerance = 1e-12;

    [Fact]
    public void CosineWarmsUpThenFollowsHalfACosine()
    {
        // 10 steps, ratio 0.1 -> ceil(1.0) = 1 warmup step; afterwards progress = (s - 1) / 9.
        var schedule = LearningRateSchedule.Create(SchedulerKind.Cosine, totalSteps: 10, warmupRatio: 0.1);
        Assert.Equal(1, schedule.WarmupSteps);
        Assert.Equal(0.0, schedule.Multiplier(0), Tolerance);           // 0 / 1
        Assert.Equal(1.0, schedule.Multiplier(1), Tolerance);           // progress 0: 0.5 * (1 + cos 0)
        Assert.Equal(0.75, schedule.Multiplier(4), Tolerance);          // progress 1/3: 0.5 * (1 + cos(pi/3)) = 0.5 * 1.5
        Assert.Equal(0.25, schedule.Multiplier(7), Tolerance);          // progress 2/3: 0.5 * (1 + cos(2pi/3)) = 0.5 * 0.5
        Assert.Equal(0.0, schedule.Multiplier(10), Tolerance);          // progress 1: 0.5 * (1 + cos(pi))
    }

    [Fact]
    public void WarmupIsLinearFromZero()
    {
        var schedule = new LearningRateSchedule(SchedulerKind.Cosine, totalSteps: 100, warmupSteps: 4);
        Assert.Equal([0.0, 0.25, 0.5, 0.75, 1.0], Enumerable.Range(0, 5).Select(schedule.Multiplier).ToArray());
    }

    [Fact]
    public void WarmupRatioRoundsUpTheFloatingPointProductAsTransformersDoes()
    {
        // 100 * 0.07 is 7.000000000000001 in binary floating point; math.ceil in transformers makes it 8.
        Assert.Equal(8, LearningRateSchedule.WarmupStepsFor(100, 0.07, 0));
        Assert.Equal(3, LearningRateSchedule.WarmupStepsFor(25, 0.1, 0));   // ceil(2.5)
        Assert.Equal(10, LearningRateSchedule.WarmupStepsFor(100, 0.1, 0)); // 100 * 0.1 is exactly 10.0
        Assert.Equal(7, LearningRateSchedule.WarmupStepsFor(100, 0.1, 7));  // explicit steps win
    }

    [Fact]
    public void LinearDecaysToZeroAndStaysThere()
    {
        var schedule = new LearningRateSchedule(SchedulerKind.Linear, totalSteps: 10, warmupSteps: 2);
        Assert.Equal(0.5, schedule.Multiplier(1), Tolerance);   // 1 / 2
        Assert.Equal(1.0, schedule.Multiplier(2), Tolerance);   // (10 - 2) / 8
        Assert.Equal(0.5, schedule.Multiplier(6), Tolerance);   // (10 - 6) / 8
        Assert.Equal(0.125, schedule.Multiplier(9), Tolerance); // (10 - 9) / 8
        Assert.Equal(0.0, schedule.Multiplier(10), Tolerance);
        Assert.Equal(0.0, schedule.Multiplier(12), Tolerance);  // max(0, -2 / 8)
    }

    [Fact]
    public void ConstantIgnoresWarmupWhileConstantWithWarmupHonoursIt()
    {
        var constant = new LearningRateSchedule(SchedulerKind.Constant, totalSteps: 10, warmupSteps: 4);
        var withWarmup = new LearningRateSchedule(SchedulerKind.ConstantWithWarmup, totalSteps: 10, warmupSteps: 4);
        Assert.Equal(1.0, constant.Multiplier(0));
        Assert.Equal(1.0, constant.Multiplier(9));
        Assert.Equal(0.0, withWarmup.Multiplier(0));
        Assert.Equal(0.25, withWarmup.Multiplier(1));
        Assert.Equal(1.0, withWarmup.Multiplier(4));
        Assert.Equal(1.0, withWarmup.Multiplier(500));
    }

    [Fact]
    public void ZeroWarmupStartsAtThePeak()
    {
        var schedule = new LearningRateSchedule(SchedulerKind.Linear, totalSteps: 4, warmupSteps: 0);
        Assert.Equal([1.0, 0.75, 0.5, 0.25, 0.0], Enumerable.Range(0, 5).Select(schedule.Multiplier).ToArray());
    }

    [Fact]
    public void ApplySetsEveryParamGroupFromItsInitialRate()
    {
        using var model = torch.nn.Linear(2, 1);
        using var optimizer = torch.optim.AdamW(model.parameters(), lr: 1e-3);
        var schedule = LearningRateSchedule.Create(SchedulerKind.Cosine, totalSteps: 10, warmupRatio: 0.1);

        var logged = schedule.Apply(optimizer, 4);
        Assert.Equal(7.5e-4, logged, Tolerance);
        var group = Assert.Single(optimizer.ParamGroups);
        Assert.Equal(7.5e-4, group.LearningRate, Tolerance);
        Assert.Equal(1e-3, group.InitialLearningRate);

        schedule.Apply(optimizer, 7); // from the initial rate again, not compounding on the last one
        Assert.Equal(2.5e-4, group.LearningRate, Tolerance);
    }

    [Theory]
    [InlineData("cosine", SchedulerKind.Cosine)]
    [InlineData("linear", SchedulerKind.Linear)]
    [InlineData("constant", SchedulerKind.Constant)]
    [InlineData("constant_with_warmup", SchedulerKind.ConstantWithWarmup)]
    [InlineData("constant-with-warmup", SchedulerKind.ConstantWithWarmup)]
    public void ParsesTransformersSchedulerNames(string name, SchedulerKind expected)
    {
        Assert.True(LearningRateSchedule.TryParseKind(name, out var kind));
        Assert.Equal(expected, kind);
    }

    [Fact]
    public void RejectsUnknownSchedulerNames() => Assert.False(LearningRateSchedule.TryParseKind("polynomial", out _));
}
