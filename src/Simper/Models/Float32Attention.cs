using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Models;

/// <summary>
/// Scaled dot-product attention for bfloat16 (or float16) queries, keys and values on the CPU, computed in float32 and
/// rounded back: on a CPU without AMX libtorch's attention backward is about ten times slower in bfloat16 than in
/// float32. Only the low-precision q, k and v are saved; the backward pass recomputes the float32 attention from them
/// (one more attention forward, a small part of a layer's work) and back-propagates through it, so activation memory
/// stays that of bfloat16. Inside <see cref="KeepGraph"/> (gradient checkpointing's replay of a layer, whose
/// activations live only until the layer's backward pass right after) the float32 attention keeps its own graph
/// instead, so the replayed attention is not computed a third time. Elsewhere (float32, a GPU, or bfloat16 where
/// <see cref="Runtime.Bfloat16Kernels.NativeAttention"/>: a CPU with AMX, whose native bfloat16 attention is the
/// faster) it is scaled_dot_product_attention itself, except causal float32 and float64 attention on the CPU, which
/// takes <see cref="CausalBlockAttention"/> where that applies.
/// </summary>
public sealed class Float32Attention : SingleTensorFunction<Float32Attention>
{
    public override string Name => nameof(Float32Attention);

    /// <summary>
    /// Attention output [B, NH, T, D] for q [B, NH, T, D], k and v [B, KV, S, D], with an optional boolean
    /// <paramref name="mask"/> [B or 1, 1, T, S] (true = may attend) or SDPA's causal masking. Grouped-query heads
    /// (KV dividing NH): query head h reads key/value head h / (NH / KV), as transformers' repeat_kv;
    /// <see cref="CausalBlockAttention"/> reads them in place, the other paths repeat them first.
    /// </summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal)
    {
        if (CausalBlockAttention.Applies(q, k, v, mask, causal)) return CausalBlockAttention.Run(q, k, v, mask);
        var groups = q.size(1) / k.size(1);
        if (groups > 1) (k, v) = (k.repeat_interleave(groups, dim: 1), v.repeat_interleave(groups, dim: 1)); // [B, NH, S, D], freed with the caller's scope
        if (q.dtype is not (ScalarType.BFloat16 or ScalarType.Float16) || q.device_type != DeviceType.CPU || Runtime.Bfloat16Kernels.AttentionAppliesTo(q))
            return nn.functional.scaled_dot_product_attention(q, k, v, mask, is_casual: causal);
        if (!torch.is_grad_enabled() || !(q.requires_grad || k.requires_grad || v.requires_grad) || graphsKept > 0)
        {
            // No backward pass to prepare for, or one that follows at once: autograd keeps the float32 graph.
            using var scope = NewDisposeScope();
            return Float32(q, k, v, mask, causal).to(q.dtype).MoveToOuterDisposeScope();
        }
        return apply(q, k, v, new Pattern(mask?.alias().DetachFromDisposeScope(), causal));
    }

    [ThreadStatic] private static int graphsKept;

    /// <summary>
    /// Until disposed, attention on this thread keeps its float32 autograd graph (float32 activations) rather than
    /// saving its 16-bit inputs and recomputing in the backward pass.
    /// </summary>
    public static IDisposable KeepGraph()
    {
        graphsKept++;
        return new GraphKept();
    }

    private sealed class GraphKept : IDisposable
    {
        private bool disposed;

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            graphsKept--;
        }
    }

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var (q, k, v, pattern) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Pattern)vars[3]);
        ctx.save_for_backward([q, k, v]);
        ctx.save_data(nameof(Pattern), pattern);
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad(); // the node's own backward recomputes, nothing inside it needs a graph
        return Float32(q, k, v, pattern.Mask, pattern.Causal).to(q.dtype).MoveToOuterDisposeScope();
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput)
    {
        ReturnedGradients.Release();
        var pattern = (Pattern)ctx.get_data(nameof(Pattern));
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var inputs = saved.Select(t => t.detach().to(ScalarType.Float32).requires_grad_(t.requires_grad)).ToArray(); // q, k, v in float32
        using (torch.enable_grad())
        {
            var output = Float32(inputs[0], inputs[1], inputs[2], pattern.Mask, pattern.Causal);
            var needed = inputs.Where(t => t.requires_grad).ToArray();
            if (needed.Length > 0) torch.autograd.backward([output], [gradOutput.to(ScalarType.Float32)], inputs: needed);
        }
        pattern.Mask?.Dispose();
        // One gradient per forward argument: q, k and v's, none for the pattern.
        return [.. inputs.Select((t, i) => t.grad is { } g ? ReturnedGradients.Hand(g.to(saved[i].dtype)) : null!), null!];
    }

    private static Tensor Float32(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal) =>
        nn.functional.scaled_dot_product_attention(q.to(ScalarType.Float32), k.to(ScalarType.Float32), v.to(ScalarType.Float32), mask, is_casual: causal);

    /// <summary>Which keys each query sees: a mask (a handle of its own, freed by the backward pass) or causality.</summary>
    private sealed record Pattern(Tensor? Mask, bool Causal);
}
