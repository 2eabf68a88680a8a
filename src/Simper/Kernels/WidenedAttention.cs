using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Kernels;

/// <summary>
/// Scaled dot-product attention for bfloat16 (or float16) queries, keys and values on the CPU, computed in float32 and
/// rounded back: on a CPU without AMX libtorch's attention backward is far slower in bfloat16 than in float32. As a node (<see cref="Run"/>) it saves only the low-precision q, k and v; the backward pass recomputes the
/// float32 attention from them (one more attention forward, a small part of a layer's work) and back-propagates
/// through it, so activation memory stays that of bfloat16. Where the graph's activations live only briefly (gradient
/// checkpointing's replay) or no backward pass comes, <see cref="WithFloat32Graph"/> lets autograd keep the float32
/// graph instead, so the attention is not computed a third time. <see cref="KernelDispatch.Attention"/> chooses.
/// </summary>
public sealed class WidenedAttention : KernelFunction<WidenedAttention>
{
    public override string Name => nameof(WidenedAttention);

    /// <summary>
    /// Attention output [B, NH, T, D] in q's dtype for q, k, v [B, NH, S, D] (grouped heads already repeated), with an
    /// optional boolean <paramref name="mask"/> [B or 1, 1, T, S] (true = may attend) or SDPA's causal masking.
    /// </summary>
    public static Tensor Run(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal) =>
        apply(q, k, v, new Pattern(mask?.alias().DetachFromDisposeScope(), causal));

    /// <summary>The same values through autograd's own float32 graph (float32 activations, no recomputation).</summary>
    public static Tensor WithFloat32Graph(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal)
    {
        using var scope = NewDisposeScope();
        return Float32(q, k, v, mask, causal).to(q.dtype).MoveToOuterDisposeScope();
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

    protected override List<Tensor?> Gradients(AutogradContext ctx, Tensor gradOutput)
    {
        var pattern = (Pattern)ctx.get_data(nameof(Pattern));
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
        return [.. inputs.Select((t, i) => t.grad?.to(saved[i].dtype)), null];
    }

    private static Tensor Float32(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal) =>
        nn.functional.scaled_dot_product_attention(q.to(ScalarType.Float32), k.to(ScalarType.Float32), v.to(ScalarType.Float32), mask, is_casual: causal);

    /// <summary>Which keys each query sees: a mask (a handle of its own, freed by the backward pass) or causality.</summary>
    private sealed record Pattern(Tensor? Mask, bool Causal);
}
