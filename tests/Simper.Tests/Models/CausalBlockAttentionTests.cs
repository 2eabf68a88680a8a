using Simper.Kernels;
using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Models;

/// <summary>The block-causal attention node gives scaled_dot_product_attention's values and gradients.</summary>
public class CausalBlockAttentionTests
{
    private static (Tensor Y, Tensor Dq, Tensor Dk, Tensor Dv) Run(Func<Tensor, Tensor, Tensor, Tensor> attend, Tensor q, Tensor k, Tensor v, Tensor g)
    {
        var (lq, lk, lv) = (q.detach().requires_grad_(), k.detach().requires_grad_(), v.detach().requires_grad_());
        var y = attend(lq, lk, lv);
        y.backward([g]);
        return (y.detach(), lq.grad!, lk.grad!, lv.grad!);
    }

    private static double MaxGap(Tensor a, Tensor b) => (a - b).abs().max().to(ScalarType.Float64).item<double>();

    // T = 2 and 37 are one block; 120 is two blocks of 60; 321 is four of 80 or 81; 512 = 8·D is the longest taken.
    [Theory]
    [InlineData(2, ScalarType.Float64, 1e-13)]
    [InlineData(37, ScalarType.Float64, 1e-13)]
    [InlineData(120, ScalarType.Float64, 1e-13)]
    [InlineData(321, ScalarType.Float64, 1e-13)]
    [InlineData(321, ScalarType.Float32, 2e-5)]
    [InlineData(512, ScalarType.Float32, 2e-5)]
    public void ValuesAndGradientsAreScaledDotProductAttentions(int t, ScalarType type, double tolerance)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(5);
        Tensor Draw(params long[] shape) => torch.randn(shape, generator: generator, dtype: ScalarType.Float64).to(type);
        // q as the attention lays it out: [B, T, NH, D] transposed to [B, NH, T, D], not contiguous.
        var (q, k, v, g) = (Draw(2, t, 3, 64).transpose(1, 2), Draw(2, 3, t, 64), Draw(2, 3, t, 64), Draw(2, 3, t, 64));
        Assert.True(CausalBlockAttention.Applies(q.requires_grad_(), k, v, null, causal: true));
        q = q.detach();

        var blocks = Run((a, b, c) => CausalBlockAttention.Run(a, b, c), q, k, v, g);
        var sdpa = Run((a, b, c) => nn.functional.scaled_dot_product_attention(a, b, c, null, is_casual: true), q, k, v, g);
        Assert.True(MaxGap(blocks.Y, sdpa.Y) <= tolerance, $"values off by {MaxGap(blocks.Y, sdpa.Y)}");
        Assert.True(MaxGap(blocks.Dq, sdpa.Dq) <= tolerance, $"dq off by {MaxGap(blocks.Dq, sdpa.Dq)}");
        Assert.True(MaxGap(blocks.Dk, sdpa.Dk) <= tolerance, $"dk off by {MaxGap(blocks.Dk, sdpa.Dk)}");
        Assert.True(MaxGap(blocks.Dv, sdpa.Dv) <= tolerance, $"dv off by {MaxGap(blocks.Dv, sdpa.Dv)}");
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-13)]
    [InlineData(ScalarType.Float32, 2e-5)]
    public void UnderAMaskWithinCausalValuesAndGradientsAreScaledDotProductAttentions(ScalarType type, double tolerance)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(7);
        Tensor Draw(params long[] shape) => torch.randn(shape, generator: generator, dtype: ScalarType.Float64).to(type);
        var (q, k, v, g) = (Draw(2, 3, 250, 32), Draw(2, 3, 250, 32), Draw(2, 3, 250, 32), Draw(2, 3, 250, 32));
        // Row 0: a prompt of 150 tokens shared by two responses of 50 (the second does not see the first);
        // row 1: sequences of 100 and 150 packed back to back.
        var mask = torch.ones(250, 250, dtype: ScalarType.Bool).tril().unsqueeze(0).repeat(2, 1, 1); // [2, T, T]
        mask[0, TensorIndex.Slice(200, 250), TensorIndex.Slice(150, 200)] = torch.tensor(false);
        mask[1, TensorIndex.Slice(100, 250), TensorIndex.Slice(0, 100)] = torch.tensor(false);
        mask = mask.unsqueeze(1); // [2, 1, T, T]
        Assert.True(CausalBlockAttention.Applies(q, k, v, mask, causal: false));

        var blocks = Run((a, b, c) => CausalBlockAttention.Run(a, b, c, mask), q, k, v, g);
        var sdpa = Run((a, b, c) => nn.functional.scaled_dot_product_attention(a, b, c, mask), q, k, v, g);
        Assert.True(MaxGap(blocks.Y, sdpa.Y) <= tolerance, $"values off by {MaxGap(blocks.Y, sdpa.Y)}");
        Assert.True(MaxGap(blocks.Dq, sdpa.Dq) <= tolerance, $"dq off by {MaxGap(blocks.Dq, sdpa.Dq)}");
        Assert.True(MaxGap(blocks.Dk, sdpa.Dk) <= tolerance, $"dk off by {MaxGap(blocks.Dk, sdpa.Dk)}");
        Assert.True(MaxGap(blocks.Dv, sdpa.Dv) <= tolerance, $"dv off by {MaxGap(blocks.Dv, sdpa.Dv)}");
    }

    // Grouped-query heads read in place: SDPA's reference repeats k and v (transformers' repeat_kv), so its k and v
    // gradients are the sums over each group's query heads. Two and four query heads per key/value head, causal
    // and under the shared-prompt and packed mask; T = 250 is three blocks of 83 or 84 rows.
    [Theory]
    [InlineData(4, 2, false)]
    [InlineData(4, 1, false)]
    [InlineData(4, 2, true)]
    public void GroupedQueryHeadsGiveRepeatedKeysAndValuesAttention(int heads, int kvHeads, bool masked)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        const int t = 250;
        Tensor Draw(params long[] shape) => torch.randn(shape, generator: generator, dtype: ScalarType.Float64);
        // q, k and v as the attention lays them out: [B, T, heads, D] transposed to [B, heads, T, D].
        var (q, k, v) = (Draw(2, t, heads, 32).transpose(1, 2), Draw(2, t, kvHeads, 32).transpose(1, 2), Draw(2, t, kvHeads, 32).transpose(1, 2));
        var g = Draw(2, heads, t, 32);
        Tensor? mask = null;
        if (masked)
        {
            mask = torch.ones(t, t, dtype: ScalarType.Bool).tril().unsqueeze(0).repeat(2, 1, 1); // [2, T, T]
            mask[0, TensorIndex.Slice(200, 250), TensorIndex.Slice(150, 200)] = torch.tensor(false);
            mask[1, TensorIndex.Slice(100, 250), TensorIndex.Slice(0, 100)] = torch.tensor(false);
            mask = mask.unsqueeze(1); // [2, 1, T, T]
        }
        Assert.True(CausalBlockAttention.Applies(q, k, v, mask, causal: !masked));

        var blocks = Run((a, b, c) => CausalBlockAttention.Run(a, b, c, mask), q, k, v, g);
        var groups = heads / kvHeads;
        var sdpa = Run((a, b, c) => nn.functional.scaled_dot_product_attention(a, b.repeat_interleave(groups, dim: 1), c.repeat_interleave(groups, dim: 1), mask, is_casual: !masked), q, k, v, g);
        Assert.Equal(new long[] { 2, kvHeads, t, 32 }, blocks.Dk.shape);
        Assert.True(MaxGap(blocks.Y, sdpa.Y) <= 1e-13, $"values off by {MaxGap(blocks.Y, sdpa.Y)}");
        Assert.True(MaxGap(blocks.Dq, sdpa.Dq) <= 1e-13, $"dq off by {MaxGap(blocks.Dq, sdpa.Dq)}");
        Assert.True(MaxGap(blocks.Dk, sdpa.Dk) <= 1e-13, $"dk off by {MaxGap(blocks.Dk, sdpa.Dk)}");
        Assert.True(MaxGap(blocks.Dv, sdpa.Dv) <= 1e-13, $"dv off by {MaxGap(blocks.Dv, sdpa.Dv)}");
    }

    [Fact]
    public void WhereTheBlocksDoNotApplyGroupedHeadsAreRepeatedForSdpa()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(13);
        // T = 40 > 8·D = 32: flash attention's linear memory, through SDPA with k and v repeated first.
        var (q, k, v) = (torch.randn([1, 4, 40, 4], generator: generator), torch.randn([1, 2, 40, 4], generator: generator), torch.randn([1, 2, 40, 4], generator: generator));
        Assert.False(CausalBlockAttention.Applies(q, k, v, null, causal: true));
        var output = KernelDispatch.Attention(q, k, v, null, causal: true, KernelCall.Default);
        var reference = nn.functional.scaled_dot_product_attention(q, k.repeat_interleave(2, dim: 1), v.repeat_interleave(2, dim: 1), null, is_casual: true);
        Assert.True(output.equal(reference).all().item<bool>());
    }

    [Fact]
    public void WithoutAGraphTheValuesAreTheSameBitForBit()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(9);
        var (q, k, v) = (torch.randn([2, 4, 200, 32], generator: generator), torch.randn([2, 4, 200, 32], generator: generator), torch.randn([2, 4, 200, 32], generator: generator));
        var withGraph = CausalBlockAttention.Run(q.requires_grad_(), k, v);
        Assert.True(withGraph.requires_grad);
        using (no_grad())
        {
            var without = CausalBlockAttention.Run(q, k, v);
            Assert.False(without.requires_grad);
            Assert.True(withGraph.detach().equal(without).all().item<bool>());
        }
    }

    [Fact]
    public void TwoTokensWorkedByHand()
    {
        using var scope = NewDisposeScope();
        // D = 1, so the scale is 1: token 0 sees itself alone (y₀ = v₀); token 1 weighs v₀ and v₁ by
        // softmax(q₁k₀, q₁k₁) = softmax(0, ln 3) = (1/4, 3/4), so y₁ = 0.25·2 + 0.75·6 = 5.
        var q = torch.tensor(new[] { 0.0, 1.0 }, [1, 1, 2, 1]).requires_grad_();
        var k = torch.tensor(new[] { 0.0, Math.Log(3) }, [1, 1, 2, 1]).requires_grad_();
        var v = torch.tensor(new[] { 2.0, 6.0 }, [1, 1, 2, 1]).requires_grad_();
        var y = CausalBlockAttention.Run(q, k, v);
        Assert.Equal(new[] { 2.0, 5.0 }, y.data<double>().ToArray(), new ToleranceComparer(1e-15));
        // d y₁ / d v = (1/4, 3/4); d y₁ / d q₁ = Σ p_j (v_j − y₁) k_j = 0.75·(6 − 5)·ln 3.
        y.backward([torch.tensor(new[] { 0.0, 1.0 }, [1, 1, 2, 1])]);
        Assert.Equal(new[] { 0.25, 0.75 }, v.grad!.data<double>().ToArray(), new ToleranceComparer(1e-15));
        Assert.Equal(new[] { 0.0, 0.75 * Math.Log(3) }, q.grad!.data<double>().ToArray(), new ToleranceComparer(1e-15));
    }

    [Theory]
    [InlineData(80, new long[] { 80 })]
    [InlineData(320, new long[] { 80, 80, 80, 80 })]
    [InlineData(321, new long[] { 80, 80, 80, 81 })]
    [InlineData(30, new long[] { 30 })]
    public void QueryBlocksCoverEveryRowOnce(int t, long[] rows)
    {
        var blocks = CausalBlockAttention.Blocks(t).ToList();
        Assert.Equal(rows, blocks.Select(b => b.Rows));
        Assert.Equal(Enumerable.Range(0, rows.Length).Select(i => rows.Take(i).Sum()), blocks.Select(b => b.Start));
    }

    [Fact]
    public void TakesOnlyCausalSelfAttentionWithinEightHeadDimensions()
    {
        using var scope = NewDisposeScope();
        Tensor Qkv(long t, ScalarType type = ScalarType.Float32) => torch.zeros([1, 2, t, 16], dtype: type).requires_grad_();
        var (q, k, v) = (Qkv(128), Qkv(128), Qkv(128));
        Assert.True(CausalBlockAttention.Applies(q, k, v, null, causal: true));
        Assert.False(CausalBlockAttention.Applies(q, k, v, null, causal: false));
        var causalMask = torch.ones(128, 128, dtype: ScalarType.Bool).tril().view(1, 1, 128, 128);
        Assert.True(CausalBlockAttention.Applies(q, k, v, causalMask, causal: false));
        Assert.False(CausalBlockAttention.Applies(q, k, v, torch.ones([1, 1, 128, 128], dtype: ScalarType.Bool), causal: false)); // later keys seen
        var blind = causalMask.clone();
        blind[0, 0, 0, 0] = torch.tensor(false); // query 0 sees no key
        Assert.False(CausalBlockAttention.Applies(q, k, v, blind, causal: false));
        Assert.False(CausalBlockAttention.Applies(Qkv(129), Qkv(129), Qkv(129), null, causal: true)); // T > 8·D: flash attention's memory
        Assert.False(CausalBlockAttention.Applies(Qkv(4, ScalarType.BFloat16), Qkv(4, ScalarType.BFloat16), Qkv(4, ScalarType.BFloat16), null, causal: true));
        Assert.False(CausalBlockAttention.Applies(Qkv(1), Qkv(8), Qkv(8), null, causal: true)); // a cached decoding step
        Tensor Heads(long heads) => torch.zeros([1, heads, 128, 16]);
        Assert.True(CausalBlockAttention.Applies(Heads(4), Heads(2), Heads(2), null, causal: true));   // grouped-query heads
        Assert.False(CausalBlockAttention.Applies(Heads(3), Heads(2), Heads(2), null, causal: true));  // 2 does not divide 3
        Assert.False(CausalBlockAttention.Applies(Heads(4), Heads(2), Heads(1), null, causal: true));  // k and v differ
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(double value) => 0;
    }
}
