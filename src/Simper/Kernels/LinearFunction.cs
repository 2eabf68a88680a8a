using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Kernels;

/// <summary>
/// y = x Wᵀ + b as one autograd node that multiplies in a given compute dtype. Its two uses:
/// <list type="bullet">
/// <item>bfloat16 (or float16) x and W on the CPU multiplied in float32 and rounded back: what a bfloat16 GEMM with
/// float32 accumulation gives, at float32 GEMM speed (libtorch's CPU GEMM for bfloat16 is many times slower than its
/// float32 one on processors without bfloat16 instructions). The backward pass multiplies in float32 as well; only
/// the low-precision inputs are saved for it and the gradients come back in their dtype, so activation memory stays
/// that of bfloat16.</item>
/// <item>A projection whose forward product can be left out (<c>computeOutput</c> false), at the weight's own
/// precision or in float32: gradient checkpointing's replay, whose output nothing reads.</item>
/// </list>
/// A frozen weight (LoRA's base) gets no gradient and its GEMM is skipped.
/// </summary>
public sealed class LinearFunction : KernelFunction<LinearFunction>
{
    public override string Name => nameof(LinearFunction);

    /// <summary>
    /// x [N, in], weight [out, in], bias [out] or null; multiplies in <paramref name="computeType"/> and returns
    /// [N, out] in x's dtype. With <paramref name="computeOutput"/> false the output's values are left unset and its
    /// GEMM skipped, while its backward pass stays exact. With <paramref name="wideOutput"/> the product is returned as
    /// computed, in the compute dtype, not rounded to x's: for a projection whose output only a float32 residual
    /// stream reads.
    /// </summary>
    public static Tensor Run(Tensor x, Tensor weight, Tensor? bias, ScalarType computeType, bool computeOutput = true, bool wideOutput = false)
    {
        var output = new Output(computeType, computeOutput, wideOutput);
        return bias is null ? apply(x, weight, output) : apply(x, weight, bias, output);
    }

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var (x, weight, bias) = ((Tensor)vars[0], (Tensor)vars[1], vars.Length > 3 ? (Tensor)vars[2] : null);
        var output = (Output)vars[^1];
        ctx.save_for_backward([x, weight]);
        // Which gradients the backward pass owes; the compute type is fixed here, so the backward pass multiplies as
        // the forward pass did.
        var type = output.ComputeType;
        ctx.save_data(nameof(Needs), new Needs(x.requires_grad, weight.requires_grad, bias?.requires_grad, type));
        var outputType = output.Wide ? type : x.dtype;
        if (!output.Compute) return torch.empty(x.size(0), weight.size(0), dtype: outputType, device: x.device);
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad(); // the node's own backward follows, not the ops inside it
        var product = nn.functional.linear(x.to(type), weight.to(type), bias?.to(type)); // [N, out]
        return product.to(outputType).MoveToOuterDisposeScope();
    }

    protected override List<Tensor?> Gradients(AutogradContext ctx, Tensor gradOutput)
    {
        var needs = (Needs)ctx.get_data(nameof(Needs));
        var saved = ctx.get_saved_variables();
        var (x, weight) = (saved[0], saved[1]);   // [N, in], [out, in]
        var type = needs.Type;
        var gradient = gradOutput.to(type); // [N, out]
        var grads = new List<Tensor?>
        {
            needs.Input ? gradient.matmul(weight.to(type)).to(x.dtype) : null,        // [N, in]
            needs.Weight ? gradient.t().matmul(x.to(type)).to(weight.dtype) : null,   // [out, in]
        };
        if (needs.Bias is { } bias) grads.Add(bias ? gradient.sum(dim: 0).to(weight.dtype) : null); // [out]
        grads.Add(null); // the output settings
        return grads;
    }

    /// <summary>The compute dtype, whether the output's values are computed, and whether they keep the compute dtype.</summary>
    private sealed record Output(ScalarType ComputeType, bool Compute, bool Wide);

    private sealed record Needs(bool Input, bool Weight, bool? Bias, ScalarType Type);
}
