using Simper.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Simper.Tests.Training;

public class TrainerStateTests
{
    [Fact]
    public void TrainerStateRoundTripsThroughJson()
    {
        using var dir = new TempFolder();
        torch.manual_seed(5);
        var state = new TrainerState
        {
            GlobalStep = 120, Epoch = 0.75, MaxSteps = 160, DataSeed = 43, DataPosition = 15360,
            BestMetric = 0.41, BestModelCheckpoint = "checkpoint-100", Rng = RngState.Capture(),
        };
        var path = dir.File(TrainerState.FileName);
        state.Save(path);

        var text = File.ReadAllText(path);
        Assert.Contains("\"global_step\": 120", text);
        Assert.Contains("\"data_position\": 15360", text);
        Assert.Contains("\"best_model_checkpoint\": \"checkpoint-100\"", text);

        var loaded = TrainerState.Load(path);
        Assert.Equal((120, 0.75, 160, 43, 15360, 0.41, "checkpoint-100"),
            (loaded.GlobalStep, loaded.Epoch, loaded.MaxSteps, loaded.DataSeed, loaded.DataPosition, loaded.BestMetric, loaded.BestModelCheckpoint));
        Assert.Equal(state.Rng.TorchCpu, loaded.Rng.TorchCpu);
    }

    [Fact]
    public void CorruptTrainerStateIsAOneLineError()
    {
        using var dir = new TempFolder();
        var path = dir.File(TrainerState.FileName);
        File.WriteAllText(path, "{\n  \"global_step\": \"ten\"\n}");
        var e = Assert.Throws<SimperException>(() => TrainerState.Load(path));
        Assert.StartsWith($"{path}:2: $.global_step: not a valid trainer state", e.Message);
    }

    [Fact]
    public void AdamWResumedFromSavedStateContinuesBitIdentically()
    {
        using var dir = new TempFolder();
        var schedule = LearningRateSchedule.Create(SchedulerKind.Cosine, totalSteps: 8, warmupRatio: 0.25);
        torch.manual_seed(0);
        using var inputs = torch.randn(8, 4, 6);   // [steps, batch, features]
        using var targets = torch.randn(8, 4, 3);  // [steps, batch, outputs]
        using var initial = torch.nn.Linear(6, 3);

        // Uninterrupted: 8 steps.
        using var straight = Copy(initial);
        using var straightOptimizer = NewOptimizer(straight);
        for (var s = 0; s < 8; s++) Step(straight, straightOptimizer, schedule, s, inputs, targets);

        // Interrupted after 4 steps; weights and optimizer state saved, then loaded into new objects.
        using var before = Copy(initial);
        using (var beforeOptimizer = NewOptimizer(before))
        {
            for (var s = 0; s < 4; s++) Step(before, beforeOptimizer, schedule, s, inputs, targets);
            OptimizerCheckpoint.Save(beforeOptimizer, dir.File(OptimizerCheckpoint.FileName));
        }
        using var resumed = Copy(before);
        using var resumedOptimizer = NewOptimizer(resumed);
        OptimizerCheckpoint.Load(resumedOptimizer, dir.File(OptimizerCheckpoint.FileName));
        for (var s = 4; s < 8; s++) Step(resumed, resumedOptimizer, schedule, s, inputs, targets);

        // A fresh optimizer (moments lost) must not match: the comparison can tell the difference.
        using var restarted = Copy(before);
        using var restartedOptimizer = NewOptimizer(restarted);
        for (var s = 4; s < 8; s++) Step(restarted, restartedOptimizer, schedule, s, inputs, targets);

        Assert.True(Same(straight.weight!, resumed.weight!));
        Assert.True(Same(straight.bias!, resumed.bias!));
        Assert.False(Same(straight.weight!, restarted.weight!));
    }

    [Fact]
    public void OptimizerStateOfAnotherModelIsRejected()
    {
        using var dir = new TempFolder();
        var path = dir.File(OptimizerCheckpoint.FileName);
        using (var small = torch.nn.Linear(2, 2))
        using (var optimizer = NewOptimizer(small))
            OptimizerCheckpoint.Save(optimizer, path);
        using var twoLayers = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2));
        using var other = torch.optim.AdamW(twoLayers.parameters());
        var e = Assert.Throws<SimperException>(() => OptimizerCheckpoint.Load(other, path));
        Assert.StartsWith($"{path}: optimizer state does not match this model and optimizer", e.Message);
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static AdamW NewOptimizer(Linear model) =>
        torch.optim.AdamW(model.parameters(), lr: 1e-2, beta1: 0.9, beta2: 0.999, weight_decay: 0.01);

    private static Linear Copy(Linear source)
    {
        var copy = torch.nn.Linear(source.in_features, source.out_features);
        using (torch.no_grad())
        {
            copy.weight!.copy_(source.weight!);
            copy.bias!.copy_(source.bias!);
        }
        return copy;
    }

    private static void Step(Linear model, AdamW optimizer, LearningRateSchedule schedule, int step, Tensor inputs, Tensor targets)
    {
        using var scope = torch.NewDisposeScope();
        schedule.Apply(optimizer, step);
        optimizer.zero_grad();
        var loss = torch.nn.functional.mse_loss(model.forward(inputs[step]), targets[step]);
        loss.backward();
        optimizer.step();
    }
}
