using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Kernels;

/// <summary>
/// The rotary embedding y = x·cos + rotate_half(x)·sin as one autograd node, for float32 and float64 x. Written out
/// over the two halves of the head dimension, with rotate_half(x) = (−x₂, x₁):
/// <code>
///   y₁ = x₁·cos₁ − x₂·sin₁     y₂ = x₂·cos₂ + x₁·sin₂            // forward
///   dx₁ = g₁·cos₁ + g₂·sin₂    dx₂ = g₂·cos₂ − g₁·sin₁          // backward
/// </code>
/// The plain expression makes five passes forward (negate, concatenate, two products, a sum) and about eight
/// backward (the products' gradients, the slices' zero-filled gradients and their sum); this node makes three each
/// way (a product over the whole head, two products and two sums over half of it) and saves only the tables. The
/// forward values are the plain expression's, bit for bit: each product is the same float product and each sum the
/// same float sum. The tables get no gradient (positions are not trained).
/// </summary>
public sealed class RotaryFunction : KernelFunction<RotaryFunction>
{
    public override string Name => nameof(RotaryFunction);

    /// <summary>Rotates x [B, heads, T, D] by cos, sin [B, 1, T, D].</summary>
    public static Tensor Run(Tensor x, Tensor cos, Tensor sin) =>
        torch.is_grad_enabled() && x.requires_grad ? apply(x, cos, sin) : Rotate(x, cos, sin, transposed: false);

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var (x, cos, sin) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2]);
        ctx.save_for_backward([cos, sin]);
        using var noGrad = torch.no_grad(); // the node's own backward follows, not the ops inside it
        return Rotate(x, cos, sin, transposed: false);
    }

    protected override List<Tensor?> Gradients(AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        return [Rotate(gradOutput, saved[0], saved[1], transposed: true), null, null]; // one per forward argument
    }

    /// <summary>
    /// transformers' own expression x·cos + rotate_half(x)·sin for x [B, heads, T, D] and cos, sin [B, 1, T, D], each
    /// product and the sum rounded as it rounds them: the rotation of 16-bit x, which this node does not take.
    /// </summary>
    public static Tensor Expression(Tensor x, Tensor cos, Tensor sin)
    {
        using var rotated = RotateHalf(x);
        using var a = x * cos;
        using var b = rotated * sin;
        return a + b;
    }

    /// <summary>(x1, x2) -> (-x2, x1) over the two halves of the last dimension.</summary>
    private static Tensor RotateHalf(Tensor x)
    {
        var half = x.size(-1) / 2;
        using var x1 = x[TensorIndex.Ellipsis, TensorIndex.Slice(0, half)];
        using var x2 = x[TensorIndex.Ellipsis, TensorIndex.Slice(half)];
        using var negated = -x2;
        return torch.cat([negated, x1], -1);
    }

    /// <summary>
    /// x·cos + rotate_half(x)·sin (<paramref name="transposed"/> false), or its transpose applied to a gradient,
    /// g·cos + rotate_halfᵀ(g·sin).
    /// </summary>
    private static Tensor Rotate(Tensor x, Tensor cos, Tensor sin, bool transposed)
    {
        using var scope = NewDisposeScope();
        var half = x.size(-1) / 2;
        Tensor First(Tensor t) => t[TensorIndex.Ellipsis, TensorIndex.Slice(0, half)];
        Tensor Second(Tensor t) => t[TensorIndex.Ellipsis, TensorIndex.Slice(half)];
        var output = x * cos; // [B, heads, T, D]
        var (first, second) = (First(output), Second(output));
        // Products rounded before the sums, as the plain expression rounds them (addcmul_ would fuse them, an ulp apart).
        if (!transposed)
        {
            first.sub_(Second(x) * First(sin));  // y₁ = x₁·cos₁ − x₂·sin₁
            second.add_(First(x) * Second(sin)); // y₂ = x₂·cos₂ + x₁·sin₂
        }
        else
        {
            first.add_(Second(x) * Second(sin)); // dx₁ = g₁·cos₁ + g₂·sin₂
            second.sub_(First(x) * First(sin));  // dx₂ = g₂·cos₂ − g₁·sin₁
        }
        return output.MoveToOuterDisposeScope();
    }
}
