using Simper.Lora;
using Simper.Scoring;
using TorchSharp;
using static Simper.Tests.Packing.PackingFixtures;
using static TorchSharp.torch;

namespace Simper.Tests.Packing;

public class GradientCheckpointingTests
{
    [Theory]
    [InlineData(PairPacking.Padded)]
    [InlineData(PairPacking.SharedPrompt)]
    [InlineData(PairPacking.SharedPromptPaddingFree)]
    public void CheckpointedLayersGiveTheSameGradients(PairPacking mode)
    {
        using var model = RandomGqaModel(ScalarType.Float32);
        var pairs = VariedPairs(5, seed: 9);
        var plain = SimperGradients(model, pairs, mode);
        model.model.GradientCheckpointing = true;
        var checkpointed = SimperGradients(model, pairs, mode);
        AssertSame(plain, checkpointed, 1e-6);
    }

    [Fact]
    public void FrozenEmbeddingsStillGiveLayerGradients()
    {
        using var model = RandomGqaModel(ScalarType.Float32);
        model.model.embed_tokens.weight!.requires_grad = false;
        var pairs = VariedPairs(4, seed: 4);
        var plain = SimperGradients(model, pairs, PairPacking.SharedPromptPaddingFree);
        model.model.GradientCheckpointing = true;
        var checkpointed = SimperGradients(model, pairs, PairPacking.SharedPromptPaddingFree);
        Assert.DoesNotContain("model.embed_tokens.weight", checkpointed.Keys);
        Assert.Contains("model.layers.0.self_attn.q_proj.weight", checkpointed.Keys);
        AssertSame(plain, checkpointed, 1e-6);
    }

    [Fact]
    public void CheckpointedLoraLayersGiveTheSameAdapterGradients()
    {
        using var model = RandomGqaModel(ScalarType.Float32);
        LoraModel.Apply(model, new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0, TargetModules = [LoraConfig.AllLinear] });
        // B starts at zero, which would make every A's gradient zero too.
        using (torch.no_grad())
            foreach (var (_, layer) in LoraModel.Adapted(model)) layer.lora_B!.weight!.normal_(0, 0.1);
        var pairs = VariedPairs(5, seed: 3);
        var plain = SimperGradients(model, pairs, PairPacking.SharedPromptPaddingFree);
        model.model.GradientCheckpointing = true;
        var checkpointed = SimperGradients(model, pairs, PairPacking.SharedPromptPaddingFree);
        Assert.Contains("model.layers.1.mlp.down_proj.lora_A.weight", checkpointed.Keys);
        AssertSame(plain, checkpointed, 1e-6);
    }

    [Fact]
    public void CheckpointedBfloat16LayersGiveTheSameGradients()
    {
        using var model = RandomGqaModel(ScalarType.BFloat16);
        var pairs = VariedPairs(5, seed: 5);
        var plain = SimperGradients(model, pairs, PairPacking.SharedPromptPaddingFree);
        model.model.GradientCheckpointing = true;
        var checkpointed = SimperGradients(model, pairs, PairPacking.SharedPromptPaddingFree);
        AssertSame(plain, checkpointed, 0);
    }

    [Fact]
    public void CheckpointingLeavesTheLossUnchanged()
    {
        using var model = RandomGqaModel(ScalarType.Float64);
        var pairs = VariedPairs(3, seed: 1);
        double Loss()
        {
            using var scope = torch.NewDisposeScope();
            using var s = PairForward.Score(model, pairs, PairPacking.PaddingFree, padId: 0);
            return SimperLoss(s).item<double>();
        }
        var plain = Loss();
        model.model.GradientCheckpointing = true;
        Assert.Equal(plain, Loss());
    }

    private static void AssertSame(Dictionary<string, double[]> expected, Dictionary<string, double[]> actual, double tolerance)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, e) in expected)
        {
            var worst = e.Zip(actual[name], (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max();
            Assert.True(worst <= tolerance, $"{name}: gradients differ by {worst:g3}");
            Assert.True(e.Any(x => x != 0), $"{name} has no gradient");
        }
    }
}
