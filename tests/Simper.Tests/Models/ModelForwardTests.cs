using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Models;

public class ModelForwardTests
{
    private static bool Close(Tensor a, Tensor b, double tolerance) => (a - b).abs().max().item<float>() <= tolerance;

    [Fact]
    public void CachedStepsGiveTheSameLogitsAsOneFullForward()
    {
        using var model = ModelFactory.CreateRandom(TestModels.Qwen2Tiny(), seed: 21);
        using var noGrad = torch.no_grad();
        using var ids = torch.tensor(new long[] { 1, 7, 9, 30, 4, 12, 49, 5 }, [2, 4]);
        using var full = model.forward(ids); // [2, 4, V]
        using var cache = model.NewCache();
        using var head = model.forward(ids[.., ..3], cache: cache);
        using var tail = model.forward(ids[.., 3..], cache: cache);
        Assert.Equal(4, cache.Length);
        Assert.True(Close(full[.., ..3], head, 1e-5));
        Assert.True(Close(full[.., 3..], tail, 1e-5));
    }

    [Fact]
    public void BlockDiagonalMaskWithRestartedPositionsEqualsSeparateSequences()
    {
        // Two sequences packed in one row: a 4-D mask lets each see only itself, positions restart at the boundary.
        using var model = ModelFactory.CreateRandom(TestModels.Qwen2Tiny(), seed: 22);
        using var noGrad = torch.no_grad();
        long[] first = [1, 5, 9], second = [1, 44, 2, 8];
        using var packed = torch.tensor(first.Concat(second).ToArray(), [1, 7]);
        using var positions = torch.tensor(new long[] { 0, 1, 2, 0, 1, 2, 3 }, [1, 7]);
        var allowed = new bool[7, 7];
        for (var i = 0; i < 7; i++)
            for (var j = 0; j <= i; j++)
                allowed[i, j] = (i < 3) == (j < 3);
        using var mask = torch.tensor(allowed).view(1, 1, 7, 7);
        using var together = model.forward(packed, positions, mask);
        using var a = model.forward(torch.tensor(first, [1, 3]));
        using var b = model.forward(torch.tensor(second, [1, 4]));
        Assert.True(Close(together[.., ..3], a, 1e-5));
        Assert.True(Close(together[.., 3..], b, 1e-5));
    }

    [Fact]
    public void RightPaddingDoesNotChangeRealPositions()
    {
        using var model = ModelFactory.CreateRandom(TestModels.Qwen2Tiny(), seed: 23);
        using var noGrad = torch.no_grad();
        using var padded = torch.tensor(new long[] { 1, 5, 9, 0, 0 }, [1, 5]);
        using var mask = torch.tensor(new long[] { 1, 1, 1, 0, 0 }, [1, 5]);
        using var withPadding = model.forward(padded, attentionMask: mask);
        using var alone = model.forward(torch.tensor(new long[] { 1, 5, 9 }, [1, 3]));
        Assert.True(Close(withPadding[.., ..3], alone, 1e-5));
        Assert.False(withPadding.isnan().any().item<bool>());
    }

    [Fact]
    public void RandomInitFollowsTransformersAndIsSeeded()
    {
        var config = TestModels.Qwen2Tiny() with { PadTokenId = 0, InitializerRange = 0.05 };
        using var a = ModelFactory.CreateRandom(config, seed: 9);
        using var b = ModelFactory.CreateRandom(config, seed: 9);
        using var c = ModelFactory.CreateRandom(config, seed: 10);
        var (sa, sb, sc) = (a.state_dict(), b.state_dict(), c.state_dict());
        Assert.All(sa.Keys, k => Assert.True(sa[k].eq(sb[k]).all().item<bool>(), k));
        Assert.False(sa["model.layers.0.mlp.up_proj.weight"].eq(sc["model.layers.0.mlp.up_proj.weight"]).all().item<bool>());
        Assert.True(sa["model.layers.1.input_layernorm.weight"].eq(1).all().item<bool>());
        Assert.True(sa["model.norm.weight"].eq(1).all().item<bool>());
        Assert.True(sa["model.layers.0.self_attn.k_proj.bias"].eq(0).all().item<bool>());
        Assert.True(sa["model.embed_tokens.weight"][0].eq(0).all().item<bool>()); // padding row
        var std = sa["model.layers.0.mlp.down_proj.weight"].std().item<float>(); // 2048 draws
        Assert.InRange(std, 0.045, 0.055);
    }
}
