using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>
/// Root-mean-square layer norm: x / sqrt(mean(x²) + eps) * weight, with no mean subtraction and no bias. Returns the
/// weight's dtype, so a float32 residual stream enters a bfloat16 layer in bfloat16.
/// </summary>
public sealed class LlamaRMSNorm : nn.Module<Tensor, Tensor>
{
    public readonly Parameter weight; // [H]
    private readonly double eps;

    public LlamaRMSNorm(long size, double eps, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(LlamaRMSNorm))
    {
        this.eps = eps;
        weight = new Parameter(torch.ones(size, dtype: dtype, device: device));
        register_parameter(nameof(weight), weight);
    }

    public override Tensor forward(Tensor x) // [..., H]
    {
        // Like transformers, normalise in float32 so bfloat16 activations do not lose the tiny variance terms;
        // float64 stays float64 so double-precision checks stay exact.
        var computeType = x.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        using var xf = x.to(computeType);
        using var variance = xf.pow(2).mean([-1], keepdim: true); // [..., 1]
        using var normed = xf * torch.rsqrt(variance + eps);
        using var cast = normed.to(weight.dtype);
        return weight * cast;
    }
}
