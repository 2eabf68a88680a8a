using Simper.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>
/// Root-mean-square layer norm: x / sqrt(mean(x²) + eps) * weight, with no mean subtraction and no bias. Returns the
/// model's dtype, so a float32 residual stream enters a bfloat16 layer in bfloat16, rounded once. The weight of a
/// 16-bit model is kept in float32, as mixed-precision training keeps its norms (autocast runs them in float32,
/// transformers' _keep_in_fp32_modules): a gain starts at 1, where bfloat16's step is 2^-7, so a bfloat16 gain would
/// round away every AdamW update smaller than 0.002 and barely train at all; SimPER's loss after 20 steps strayed
/// from float32's by up to 1.6e-2 with bfloat16 gains and 8.4e-3 with float32 ones (bench-26m, five starts).
/// The arithmetic is one autograd node (<see cref="KernelDispatch.RmsNorm"/>).
/// </summary>
public sealed class LlamaRMSNorm : nn.Module<Tensor, Tensor>
{
    public readonly Parameter weight; // [H], float32 for a 16-bit model
    private readonly double eps;
    private readonly ScalarType outputType; // the model's dtype
    private readonly bool addsOne;          // Gemma: the gain is 1 + weight

    public LlamaRMSNorm(long size, double eps, Device? device = null, ScalarType dtype = ScalarType.Float32, bool addsOne = false) : base(nameof(LlamaRMSNorm))
    {
        this.eps = eps;
        this.addsOne = addsOne;
        outputType = dtype;
        weight = new Parameter(torch.ones(size, dtype: DtypeNames.Widened(dtype), device: device));
        register_parameter(nameof(weight), weight);
    }

    public override Tensor forward(Tensor x)
    {
        if (!addsOne) return KernelDispatch.RmsNorm(x, weight, eps, outputType); // [..., H]
        using var gain = weight + 1.0;
        return KernelDispatch.RmsNorm(x, gain, eps, outputType);
    }
}
