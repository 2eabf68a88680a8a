using Simper.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) * up(x)).</summary>
public sealed class LlamaMLP : nn.Module
{
    public readonly AdaptableLinear gate_proj; // H -> I
    public readonly AdaptableLinear up_proj;   // H -> I
    public readonly AdaptableLinear down_proj; // I -> H, read only by the residual stream

    public LlamaMLP(ModelConfig config, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(LlamaMLP))
    {
        var bias = config.MlpHasBias;
        gate_proj = new AdaptableLinear(config.HiddenSize, config.IntermediateSize, bias, device, dtype);
        up_proj = new AdaptableLinear(config.HiddenSize, config.IntermediateSize, bias, device, dtype);
        down_proj = new AdaptableLinear(config.IntermediateSize, config.HiddenSize, bias, device, dtype) { FeedsResidual = true };
        register_module(nameof(gate_proj), gate_proj);
        register_module(nameof(up_proj), up_proj);
        register_module(nameof(down_proj), down_proj);
    }

    /// <param name="x">[B, T, H]</param>
    /// <param name="call">the model's kernel options and checkpointing state; this CPU's defaults when null</param>
    /// <returns>[B, T, H]</returns>
    public Tensor forward(Tensor x, KernelCall? call = null)
    {
        using var gate = gate_proj.forward(x, call); // [B, T, I]
        using var activated = nn.functional.silu(gate);
        using var up = up_proj.forward(x, call);     // [B, T, I]
        using var product = activated * up;
        return down_proj.forward(product, call);     // [B, T, H]
    }
}
