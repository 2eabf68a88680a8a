using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Lora;

/// <summary>
/// A LoRA layer without dropout as one autograd node: y = x (W + s·B A)ᵀ + b, the frozen base and the adapter in a
/// single GEMM with the merged weight (rebuilt each pass from W, A and B: an [out, in] product of rank r, cheap
/// beside the projection). The adapter's gradients need only rank-r products, dA = s·(g B)ᵀ x and dB = s·gᵀ (x Aᵀ),
/// but each of x Aᵀ and g B reads a whole [N, in] or [N, out] activation to do little with it, so on a CPU each costs
/// about a pass over that activation, not its FLOPs. Both therefore ride on the GEMMs that read those activations
/// anyway: the forward GEMM runs with A's r rows under W' (x [W'; A]ᵀ gives y and x Aᵀ), and the backward one with
/// B's r columns beside W' (g [W' | B] gives x's gradient and g B). The unfused layer instead adds the adapter's
/// output to the projection and its input gradient to the base's, extra passes over [N, out] and [N, in] per layer.
/// Computes in float32 (16-bit inputs on the CPU are widened, see <see cref="Float32Linear"/>) or float64, returning
/// x's dtype (the compute dtype with <c>wideOutput</c>); the base weight and bias get no gradient. The output and x's
/// gradient are views whose rows are strided by r extra columns.
/// </summary>
public sealed class MergedLoraProjection : SingleTensorFunction<MergedLoraProjection>
{
    public override string Name => nameof(MergedLoraProjection);

    /// <summary>
    /// x [N, in], base weight [out, in] and bias [out] or null (frozen), adapter A [r, in] and B [out, r]; returns [N, out].
    /// With <paramref name="computeOutput"/> false the output's values are left unset and the forward GEMM skipped;
    /// the backward pass is the same (see <see cref="Float32Linear.Run"/>). With <paramref name="wideOutput"/> the
    /// product keeps the compute dtype rather than x's (see <see cref="LoraLinear.WidensOutput"/>).
    /// </summary>
    public static Tensor Run(Tensor x, Tensor weight, Tensor? bias, Tensor a, Tensor b, double scale, bool computeOutput = true, bool wideOutput = false)
    {
        var settings = new Settings(scale, bias is not null, computeOutput, wideOutput);
        return bias is null ? apply(x, weight, a, b, settings) : apply(x, weight, a, b, bias, settings);
    }

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var (x, weight, a, b) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3]);
        var settings = (Settings)vars[^1];
        var bias = settings.HasBias ? (Tensor)vars[4] : null;
        var type = a.dtype;
        var outputType = settings.WideOutput ? type : x.dtype;
        var (rows, outFeatures, rank) = (x.size(0), weight.size(0), a.size(0));
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad(); // the node's own backward follows, not the ops inside it
        var input = x.to(type);                                             // [N, in]
        Tensor down, output;
        if (settings.ComputeOutput)
        {
            // x [W'; A]ᵀ: the projection and the down product x Aᵀ that dB needs in one pass over x.
            var both = nn.functional.linear(input, MergedWith(weight, a, b, settings.Scale, dim: 0)); // [N, out + r]
            down = both.narrow(1, outFeatures, rank).clone();               // [N, r], kept apart so `both` can go
            output = both.narrow(1, 0, outFeatures);                        // [N, out], rows strided by out + r
            if (bias is not null) output = output.add(bias.to(type));
            output = output.to(outputType);
        }
        else
        {
            down = input.matmul(a.t());
            output = torch.empty(rows, outFeatures, dtype: outputType, device: x.device);
        }
        ctx.save_for_backward([x, weight, a, b]);
        ctx.save_data(nameof(SavedUntilBackward), new SavedUntilBackward([down]));
        ctx.save_data(nameof(Settings), settings with { InputNeedsGrad = x.requires_grad });
        return output.MoveToOuterDisposeScope();
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput)
    {
        ReturnedGradients.Release();
        var settings = (Settings)ctx.get_data(nameof(Settings));
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var saved = ctx.get_saved_variables();
        var (x, weight, a, b) = (saved[0], saved[1], saved[2], saved[3]);
        using var kept = (SavedUntilBackward)ctx.get_data(nameof(SavedUntilBackward));
        var down = kept.Tensors[0];                                         // [N, r]: x Aᵀ
        var type = a.dtype;
        var (inFeatures, rank) = (weight.size(1), a.size(0));
        var g = gradOutput.to(type);                                        // [N, out]
        Tensor? gradX = null;
        Tensor up;                                                          // [N, r]: g B
        if (settings.InputNeedsGrad)
        {
            // g [W' | B]: x's gradient and g B in one pass over g.
            var both = g.matmul(MergedWith(weight, a, b, settings.Scale, dim: 1)); // [N, in + r]
            gradX = both.narrow(1, 0, inFeatures).to(x.dtype);              // [N, in], rows strided by in + r
            up = both.narrow(1, inFeatures, rank);
        }
        else up = g.matmul(b);
        var gradA = ReduceOverRows(x.to(type), up).t().mul_(settings.Scale); // [r, in]: s·(g B)ᵀ x
        var gradB = ReduceOverRows(g, down).mul_(settings.Scale);           // [out, r]: s·gᵀ (x Aᵀ)
        // One gradient per forward argument: x, the frozen weight, A, B, then the frozen bias if any and the settings.
        List<Tensor> grads = [gradX is null ? null! : ReturnedGradients.Hand(gradX), null!, ReturnedGradients.Hand(gradA), ReturnedGradients.Hand(gradB)];
        if (settings.HasBias) grads.Add(null!);
        grads.Add(null!);
        return grads;
    }

    /// <summary>
    /// wideᵀ narrow for wide [N, F] and narrow [N, r]: a sum over the N rows, returned as [F, r]. The transposed
    /// product, [r, N]·[N, F], is the same FLOPs but slower: at N = 2560 on 2 threads (AMD Zen 5, cold cache) MKL took
    /// 0.31 against 0.51 ms at F = 256, 0.66 against 0.79 ms at F = 512, and 1.7 against 3.0 ms at F = 1376.
    /// </summary>
    private static Tensor ReduceOverRows(Tensor wide, Tensor narrow) => wide.t().matmul(narrow);

    /// <summary>
    /// The merged weight W' = W + s·B A [out, in] in the adapter's dtype (a 16-bit W is widened), joined in one new
    /// tensor with A's r rows under it (<paramref name="dim"/> 0: [out + r, in]) or B's r columns beside it
    /// (1: [out, in + r]).
    /// </summary>
    private static Tensor MergedWith(Tensor weight, Tensor a, Tensor b, double scale, int dim)
    {
        var factor = dim == 0 ? a : b;
        long[] shape = [weight.size(0), weight.size(1)];
        shape[dim] += factor.size(dim);
        var joined = torch.empty(shape, dtype: a.dtype, device: weight.device);
        joined.narrow(dim, 0, weight.size(dim)).copy_(weight).addmm_(b, a, beta: 1, alpha: (float)scale);
        joined.narrow(dim, weight.size(dim), factor.size(dim)).copy_(factor);
        return joined;
    }

    private sealed record Settings(double Scale, bool HasBias, bool ComputeOutput, bool WideOutput, bool InputNeedsGrad = true);
}
