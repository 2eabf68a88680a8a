using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Lora;

/// <summary>
/// A LoRA layer without dropout as one autograd node: y = x (W + s·B A)ᵀ + b, the frozen base and the adapter in a
/// single GEMM with the merged weight (rebuilt each pass from W, A and B: an [out, in] product of rank r, cheap beside
/// the projection). The backward pass gives x's gradient from the merged weight in one GEMM as well, and the adapter's
/// through rank-r products only: dA = s·(g B)ᵀ x, dB = s·gᵀ (x Aᵀ). The unfused layer instead adds the adapter's
/// output to the projection and its input gradient to the base's, two extra passes over [N, out] and [N, in] per
/// layer, which is most of what LoRA adds to a step. Computes in float32 (16-bit inputs on the CPU are widened, see
/// <see cref="Float32Linear"/>) or float64, returning x's dtype; the base weight and bias get no gradient.
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
        ctx.save_for_backward([x, weight, a, b]);
        ctx.save_data(nameof(Settings), settings with { InputNeedsGrad = x.requires_grad });
        var type = a.dtype;
        var outputType = settings.WideOutput ? type : x.dtype;
        if (!settings.ComputeOutput) return torch.empty(x.size(0), weight.size(0), dtype: outputType, device: x.device);
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad(); // the node's own backward follows, not the ops inside it
        var product = nn.functional.linear(x.to(type), Merged(weight, a, b, settings.Scale), bias?.to(type)); // [N, out]
        return product.to(outputType).MoveToOuterDisposeScope();
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput)
    {
        ReturnedGradients.Release();
        var settings = (Settings)ctx.get_data(nameof(Settings));
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var saved = ctx.get_saved_variables();
        var (x, weight, a, b) = (saved[0], saved[1], saved[2], saved[3]);
        var type = a.dtype;
        var g = gradOutput.to(type);                                        // [N, out]
        var input = x.to(type);                                             // [N, in]
        var gradA = g.matmul(b).t().matmul(input).mul(settings.Scale);      // [r, in]: s·(g B)ᵀ x
        var gradB = g.t().matmul(input.matmul(a.t())).mul(settings.Scale);  // [out, r]: s·gᵀ (x Aᵀ)
        var gradX = settings.InputNeedsGrad ? ReturnedGradients.Hand(g.matmul(Merged(weight, a, b, settings.Scale)).to(x.dtype)) : null!; // [N, in]
        // One gradient per forward argument: x, the frozen weight, A, B, then the frozen bias if any and the settings.
        List<Tensor> grads = [gradX, null!, ReturnedGradients.Hand(gradA), ReturnedGradients.Hand(gradB)];
        if (settings.HasBias) grads.Add(null!);
        grads.Add(null!);
        return grads;
    }

    /// <summary>W + s·B A in the adapter's dtype, [out, in]. A 16-bit W is widened into a copy the update is then added to in place.</summary>
    private static Tensor Merged(Tensor weight, Tensor a, Tensor b, double scale) =>
        weight.dtype == a.dtype
            ? torch.addmm(weight, b, a, beta: 1, alpha: (float)scale)
            : weight.to(a.dtype).addmm_(b, a, beta: 1, alpha: (float)scale);

    private sealed record Settings(double Scale, bool HasBias, bool ComputeOutput, bool WideOutput, bool InputNeedsGrad = true);
}
