using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Kernels;

/// <summary>
/// y = x · r · w with r = 1 / sqrt(mean(x²) + eps) over the last dimension, as one autograd node. Its forward pass
/// runs the very ops of the plain expression (same values, bit for bit); its backward pass is written out in place
/// of the seven nodes autograd would chain (x², mean, add, rsqrt, two products and a cast), and it keeps only x, w
/// and r [..., 1] where those nodes keep x, r and the normalised x besides. For x [M, H] and upstream gradient g:
/// <code>
///   dx = r · (g·w − x · r² · Σ_h(g·w·x) / H)        // [M, H]
///   dw = Σ_m r_m · g_m · x_m                         // [H]
/// </code>
/// x is normalised in float32 (float64 stays float64), and the output is rounded once to the model's dtype.
/// </summary>
public sealed class RmsNormFunction : KernelFunction<RmsNormFunction>
{
    public override string Name => nameof(RmsNormFunction);

    /// <summary>RMS norm of x [..., H] with gain weight [H]; returns [..., H] in <paramref name="outputType"/>.</summary>
    public static Tensor Run(Tensor x, Tensor weight, double eps, ScalarType outputType)
    {
        if (torch.is_grad_enabled() && (x.requires_grad || weight.requires_grad)) return apply(x, weight, eps, outputType);
        using var scope = NewDisposeScope();
        var xf = x.to(ComputeType(x));
        return Normalise(xf, Rms(xf, eps), weight, outputType).MoveToOuterDisposeScope();
    }

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var (x, weight, eps, outputType) = ((Tensor)vars[0], (Tensor)vars[1], (double)vars[2], (ScalarType)vars[3]);
        using var noGrad = torch.no_grad(); // the node's own backward follows, not the ops inside it
        var xf = x.to(ComputeType(x));
        // r is saved for the backward pass, which reads it after this method returns: it stays in the caller's scope.
        var r = Rms(xf, eps); // [..., 1]
        ctx.save_for_backward([x, weight, r]);
        ctx.save_data(nameof(Needs), new Needs(x.requires_grad, weight.requires_grad));
        using var scope = NewDisposeScope();
        return Normalise(xf, r, weight, outputType).MoveToOuterDisposeScope();
    }

    protected override List<Tensor?> Gradients(AutogradContext ctx, Tensor gradOutput)
    {
        var needs = (Needs)ctx.get_data(nameof(Needs));
        var saved = ctx.get_saved_variables();
        var (x, weight, r) = (saved[0], saved[1], saved[2]); // [..., H], [H], [..., 1]
        var type = r.dtype;
        var xf = x.to(type);
        var g = gradOutput.to(type);                                             // [..., H]
        Tensor? dx = null, dw = null;
        if (needs.Input)
        {
            var gw = g * weight.to(type);                                        // [..., H]
            var dot = (gw * xf).sum(-1, keepdim: true);                          // [..., 1]
            var coefficient = dot.mul_(r.square()).div_(x.size(-1));             // r² · Σ(g·w·x) / H
            dx = gw.addcmul_(xf, coefficient, value: -1).mul_(r).to(x.dtype);
        }
        if (needs.Weight)
        {
            var hidden = x.size(-1);
            // Σ_m r_m (g·x)_m as one [1, M] × [M, H] product.
            dw = r.reshape(1, -1).matmul((g * xf).reshape(-1, hidden)).reshape(hidden).to(weight.dtype);
        }
        return [dx, dw, null, null]; // one per forward argument; eps and the output type get none
    }

    private static ScalarType ComputeType(Tensor x) => x.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    private static Tensor Rms(Tensor xf, double eps) => torch.rsqrt(xf.pow(2).mean([-1], keepdim: true) + eps); // [..., 1]

    private static Tensor Normalise(Tensor xf, Tensor r, Tensor weight, ScalarType outputType) => (xf * r * weight).to(outputType);

    private sealed record Needs(bool Input, bool Weight);
}
