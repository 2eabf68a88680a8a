using Simper.Lora;
using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;
using static Simper.Tests.Lora.LoraTestModels;

namespace Simper.Tests.Lora;

public class LoraModelTests
{
    private static readonly LoraConfig AllLinear = new() { Rank = 4, Alpha = 12, Dropout = 0.1, TargetModules = ["all-linear"] };

    [Fact]
    public void AdaptedModelInitiallyGivesTheBaseLogitsExactly()
    {
        using var model = ModelFactory.CreateRandom(LlamaTiny(), seed: 1);
        model.eval();
        using var noGrad = torch.no_grad();
        using var ids = Ids();
        using var before = model.forward(ids);
        var adapted = LoraModel.Apply(model, AllLinear);
        Assert.Equal(14, adapted.Count); // 7 projections x 2 layers
        Assert.Contains("model.layers.1.mlp.down_proj", adapted);
        using var after = model.forward(ids);
        Assert.True(Identical(before, after));
    }

    [Fact]
    public void AdaptedBFloat16ModelKeepsFloat32AdaptersAndStartsAtTheBase()
    {
        using var model = ModelFactory.CreateRandom(LlamaTiny(), seed: 2, dtype: ScalarType.BFloat16);
        model.eval();
        using var noGrad = torch.no_grad();
        using var ids = Ids();
        using var before = model.forward(ids);
        LoraModel.Apply(model, AllLinear);
        var q = model.model.layers[0].self_attn.q_proj!;
        Assert.Equal(ScalarType.Float32, q.lora_A!.weight!.dtype);
        Assert.Equal(ScalarType.BFloat16, q.weight.dtype);
        using var after = model.forward(ids);
        Assert.Equal(ScalarType.BFloat16, after.dtype);
        Assert.True(Identical(before, after));
    }

    [Fact]
    public void ForwardIsBaseProjectionPlusScaledLowRankUpdate()
    {
        using var model = ModelFactory.CreateRandom(LlamaTiny(), seed: 3, dtype: ScalarType.Float64);
        LoraModel.Apply(model, AllLinear);
        RandomizeAdapters(model, seed: 4);
        model.eval(); // dropout off
        var k = model.model.layers[1].self_attn.k_proj!; // 32 -> 2 KV heads x 8 = 16, with bias
        Assert.Equal(3.0, k.Scale); // alpha 12 / r 4
        using var noGrad = torch.no_grad();
        using var x = torch.randn([2, 3, 32], ScalarType.Float64);
        using var actual = k.forward(x);
        var (w, b, a, bb) = (k.weight, k.bias!, k.lora_A!.weight!, k.lora_B!.weight!);
        Assert.Equal([4L, 32], a.shape);
        Assert.Equal([16L, 4], bb.shape);
        using var expected = x.matmul(w.t()) + b + 3.0 * x.matmul(a.t()).matmul(bb.t()); // [2, 3, 16]
        Assert.True(MaxDifference(actual, expected) < 1e-12);
        using var baseOnly = x.matmul(w.t()) + b;
        Assert.True(MaxDifference(actual, baseOnly) > 1e-3);
    }

    [Fact]
    public void DropoutAppliesOnlyToTheAdapterPathInTraining()
    {
        using var model = ModelFactory.CreateRandom(LlamaTiny(), seed: 5, dtype: ScalarType.Float64);
        LoraModel.Apply(model, AllLinear with { Dropout = 0.5 });
        var up = model.model.layers[0].mlp.up_proj!;
        using var noGrad = torch.no_grad();
        using var x = torch.randn([4, 32], ScalarType.Float64);
        // With B = 0 the dropped adapter path contributes nothing, so training output is still the base projection.
        model.train();
        using var trainingOutput = up.forward(x);
        using var baseOnly = nn.functional.linear(x, up.weight, up.bias);
        Assert.True(Identical(trainingOutput, baseOnly));
        RandomizeAdapters(model, seed: 6);
        using var first = up.forward(x);
        using var second = up.forward(x);
        Assert.False(Identical(first, second)); // a fresh dropout mask each call
        model.eval();
        using var evalFirst = up.forward(x);
        using var evalSecond = up.forward(x);
        Assert.True(Identical(evalFirst, evalSecond));
    }

    [Fact]
    public void OnlyAdapterWeightsRequireGradientsAndReceiveThem()
    {
        using var model = ModelFactory.CreateRandom(LlamaTiny(), seed: 7);
        LoraModel.Apply(model, new LoraConfig { Rank = 2, TargetModules = ["q_proj", "v_proj", "down_proj"] });
        RandomizeAdapters(model, seed: 8);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).Order().ToList();
        string[] expected =
        [
            "model.layers.0.mlp.down_proj.lora_A.weight", "model.layers.0.mlp.down_proj.lora_B.weight",
            "model.layers.0.self_attn.q_proj.lora_A.weight", "model.layers.0.self_attn.q_proj.lora_B.weight",
            "model.layers.0.self_attn.v_proj.lora_A.weight", "model.layers.0.self_attn.v_proj.lora_B.weight",
            "model.layers.1.mlp.down_proj.lora_A.weight", "model.layers.1.mlp.down_proj.lora_B.weight",
            "model.layers.1.self_attn.q_proj.lora_A.weight", "model.layers.1.self_attn.q_proj.lora_B.weight",
            "model.layers.1.self_attn.v_proj.lora_A.weight", "model.layers.1.self_attn.v_proj.lora_B.weight",
        ];
        Assert.Equal(expected, trainable);

        using var ids = Ids();
        using var logits = model.forward(ids);
        using var loss = nn.functional.cross_entropy(logits.view(-1, 40), ids.view(-1));
        loss.backward();
        foreach (var (name, parameter) in model.named_parameters())
        {
            using var grad = parameter.grad;
            if (expected.Contains(name)) Assert.True(grad is not null && grad.abs().sum().item<float>() > 0, $"{name} got no gradient");
            else Assert.True(grad is null, $"{name} is frozen but got a gradient");
        }
    }

    [Fact]
    public void DisableAdaptersGivesTheBaseLogitsUntilDisposed()
    {
        using var model = ModelFactory.CreateRandom(LlamaTiny(), seed: 9);
        model.eval();
        using var noGrad = torch.no_grad();
        using var ids = Ids();
        using var baseLogits = model.forward(ids);
        LoraModel.Apply(model, AllLinear);
        RandomizeAdapters(model, seed: 10);
        using var adapted = model.forward(ids);
        Assert.True(MaxDifference(adapted, baseLogits) > 1e-2);
        using (LoraModel.DisableAdapters(model))
        {
            using (LoraModel.DisableAdapters(model)) { } // an inner scope does not switch them back on early
            using var disabled = model.forward(ids);
            Assert.True(Identical(disabled, baseLogits));
        }
        using var again = model.forward(ids);
        Assert.True(Identical(again, adapted));
    }

    [Fact]
    public void UnknownTargetModuleIsAOneLineError()
    {
        using var model = ModelFactory.CreateRandom(LlamaTiny(), seed: 11);
        var error = Assert.Throws<SimperException>(() => LoraModel.Apply(model, new LoraConfig { TargetModules = ["q_proj", "lm_head"] }));
        Assert.Equal("lora: target module \"lm_head\" matches no projection of the model; expected any of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, or all-linear", error.Message);
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad)); // the model is left untouched
        var rank = Assert.Throws<SimperException>(() => LoraModel.Apply(model, new LoraConfig { Rank = 0 }));
        Assert.Equal("lora: field \"r\" is 0; expected a positive integer", rank.Message);
    }

    [Fact]
    public void Bench26mParameterCountsWithRank16OnAllLinearLayers()
    {
        using var model = new LlamaForCausalLM(Bench26m());
        var before = LoraModel.CountParameters(model);
        // Worked out by hand: head dim 512/8 = 64, so k/v project 512 -> 4*64 = 256.
        long attention = 512 * 512 + 512 * 256 + 512 * 256 + 512 * 512; // q, k, v, o
        long mlp = 3L * 512 * 1376;                                      // gate, up, down
        long norms = 2 * 512;
        long baseTotal = 6 * (attention + mlp + norms) + 8192 * 512 /* embed */ + 8192 * 512 /* head */ + 512 /* final norm */;
        Assert.Equal(25_795_072, baseTotal);
        Assert.Equal(new ParameterCounts(baseTotal, baseTotal), before);

        LoraModel.Apply(model, new LoraConfig { Rank = 16, TargetModules = ["all-linear"] });
        // Each adapter adds r * (in + out).
        long adapters = 6 * 16L * ((512 + 512) + (512 + 256) + (512 + 256) + (512 + 512) + 3 * (512 + 1376));
        Assert.Equal(887_808, adapters);
        var after = LoraModel.CountParameters(model);
        Assert.Equal(new ParameterCounts(adapters, baseTotal + adapters), after);
        Assert.Equal(3.32726, after.TrainablePercent, 5); // not under 1%: rank 16 is large next to hidden size 512
    }
}
