using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Models;

/// <summary>
/// y = x Wᵀ + b for bfloat16 (or float16) x and W on the CPU, multiplied in float32 and rounded back: what a bfloat16
/// GEMM with float32 accumulation gives, at float32 GEMM speed. libtorch's CPU GEMM for bfloat16 is many times slower
/// than its float32 one on processors without bfloat16 instructions. The backward pass multiplies in float32 as well;
/// only the low-precision inputs are saved for it and the gradients come back in their dtype, so activation memory
/// stays that of bfloat16. On a GPU, and for bfloat16 where <see cref="Runtime.Bfloat16Kernels.NativeGemms"/> (a CPU
/// with avx512_bf16 or AMX), the native low-precision GEMM is used instead (see <see cref="Applies"/>).
/// Other weights multiply at their own precision: the node then serves as an ordinary linear layer whose
/// forward product can be left out (<see cref="Run"/>'s <c>computeOutput</c>).
/// </summary>
public sealed class Float32Linear : SingleTensorFunction<Float32Linear>
{
    public override string Name => nameof(Float32Linear);

    /// <summary>
    /// Whether a projection by this weight should multiply in float32: a 16-bit weight on the CPU, unless it is
    /// bfloat16 and this thread uses native bfloat16 GEMMs (<see cref="Runtime.Bfloat16Kernels.NativeGemms"/>).
    /// </summary>
    public static bool Applies(Tensor weight) => Applies(weight.dtype, weight.device_type);

    /// <summary><see cref="Applies(Tensor)"/> for a weight of <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public static bool Applies(ScalarType dtype, DeviceType device) =>
        dtype is ScalarType.BFloat16 or ScalarType.Float16 && device == DeviceType.CPU
        && !(dtype == ScalarType.BFloat16 && Runtime.Bfloat16Kernels.NativeGemms);

    /// <summary>
    /// x [N, in], weight [out, in], bias [out] or null; returns [N, out] in x's dtype. With <paramref name="computeOutput"/>
    /// false the output's values are left unset and its GEMM skipped, while its backward pass stays exact: for a
    /// replay whose output nothing reads but whose gradients are wanted (<see cref="LlamaMLP.ForwardForBackward"/>).
    /// With <paramref name="wideOutput"/> the product is returned as computed, in float32, not rounded to x's dtype:
    /// for a projection whose output only a float32 residual stream reads (see <see cref="Lora.LoraLinear.WidensOutput"/>).
    /// </summary>
    public static Tensor Run(Tensor x, Tensor weight, Tensor? bias, bool computeOutput = true, bool wideOutput = false) =>
        bias is null ? apply(x, weight, new Output(computeOutput, wideOutput)) : apply(x, weight, bias, new Output(computeOutput, wideOutput));

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var (x, weight, bias) = ((Tensor)vars[0], (Tensor)vars[1], vars.Length > 3 ? (Tensor)vars[2] : null);
        var output = (Output)vars[^1];
        ctx.save_for_backward([x, weight]);
        // Which gradients the backward pass owes: a frozen weight (LoRA's base) needs none, and its GEMM is skipped.
        // The compute type is fixed here, so the backward pass multiplies as the forward pass did.
        var type = ComputeType(weight);
        ctx.save_data(nameof(Needs), new Needs(x.requires_grad, weight.requires_grad, bias?.requires_grad, type));
        var outputType = output.Wide ? type : x.dtype;
        if (!output.Compute) return torch.empty(x.size(0), weight.size(0), dtype: outputType, device: x.device);
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad(); // the node's own backward follows, not the ops inside it
        var product = nn.functional.linear(x.to(type), weight.to(type), bias?.to(type)); // [N, out]
        return product.to(outputType).MoveToOuterDisposeScope();
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput)
    {
        ReturnedGradients.Release();
        var needs = (Needs)ctx.get_data(nameof(Needs));
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var saved = ctx.get_saved_variables();
        var (x, weight) = (saved[0], saved[1]);   // [N, in], [out, in]
        var type = needs.Type;
        var gradient = gradOutput.to(type); // [N, out]
        var grads = new List<Tensor>
        {
            needs.Input ? ReturnedGradients.Hand(gradient.matmul(weight.to(type)).to(x.dtype)) : null!,        // [N, in]
            needs.Weight ? ReturnedGradients.Hand(gradient.t().matmul(x.to(type)).to(weight.dtype)) : null!, // [out, in]
        };
        if (needs.Bias is { } bias) grads.Add(bias ? ReturnedGradients.Hand(gradient.sum(dim: 0).to(weight.dtype)) : null!); // [out]
        grads.Add(null!); // the output settings
        return grads;
    }

    /// <summary>float32 where <see cref="Applies"/>, the weight's own dtype otherwise.</summary>
    private static ScalarType ComputeType(Tensor weight) => Applies(weight) ? ScalarType.Float32 : weight.dtype;

    /// <summary>Whether the output's values are computed, and whether they keep the compute dtype.</summary>
    private sealed record Output(bool Compute, bool Wide);

    private sealed record Needs(bool Input, bool Weight, bool? Bias, ScalarType Type);
}
