using Simper.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) * up(x)); Phi-3 computes gate and up in one fused projection.</summary>
public sealed class LlamaMLP : nn.Module
{
    public readonly AdaptableLinear? gate_proj;    // H -> I
    public readonly AdaptableLinear? up_proj;      // H -> I
    public readonly AdaptableLinear? gate_up_proj; // Phi-3 instead: H -> 2·I, gate rows then up rows
    private readonly long intermediate;
    private readonly bool gelu; // Gemma: GELU (tanh approximation) gates instead of SiLU
    public readonly AdaptableLinear down_proj; // I -> H, read only by the residual stream

    public LlamaMLP(ModelConfig config, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(LlamaMLP))
    {
        var bias = config.MlpHasBias;
        intermediate = config.IntermediateSize;
        gelu = config.Gelu;
        if (config.FusedProjections)
        {
            gate_up_proj = new AdaptableLinear(config.HiddenSize, 2 * config.IntermediateSize, bias, device, dtype);
            register_module(nameof(gate_up_proj), gate_up_proj);
        }
        else
        {
            gate_proj = new AdaptableLinear(config.HiddenSize, config.IntermediateSize, bias, device, dtype);
            up_proj = new AdaptableLinear(config.HiddenSize, config.IntermediateSize, bias, device, dtype);
            register_module(nameof(gate_proj), gate_proj);
            register_module(nameof(up_proj), up_proj);
        }
        down_proj = new AdaptableLinear(config.IntermediateSize, config.HiddenSize, bias, device, dtype) { FeedsResidual = !config.SandwichNorms };
        register_module(nameof(down_proj), down_proj);
    }

    /// <param name="x">[B, T, H]</param>
    /// <param name="call">the model's kernel options and checkpointing state; this CPU's defaults when null</param>
    /// <returns>[B, T, H]</returns>
    public Tensor forward(Tensor x, KernelCall? call = null)
    {
        using var fused = gate_up_proj?.forward(x, call);                    // [B, T, 2·I]
        using var gate = fused?.narrow(-1, 0, intermediate) ?? gate_proj!.forward(x, call); // [B, T, I]
        using var activated = gelu ? nn.functional.gelu(gate, TorchSharp.Modules.GELU.Approximate.tanh) : nn.functional.silu(gate);
        using var up = fused?.narrow(-1, intermediate, intermediate) ?? up_proj!.forward(x, call); // [B, T, I]
        using var product = activated * up;
        return down_proj.forward(product, call);     // [B, T, H]
    }
}
