using Simper.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) * up(x)).</summary>
public sealed class LlamaMLP : nn.Module<Tensor, Tensor>
{
    public readonly LoraLinear gate_proj; // H -> I
    public readonly LoraLinear up_proj;   // H -> I
    public readonly LoraLinear down_proj; // I -> H

    public LlamaMLP(ModelConfig config, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(LlamaMLP))
    {
        var bias = config.MlpHasBias;
        gate_proj = new LoraLinear(config.HiddenSize, config.IntermediateSize, bias, device, dtype);
        up_proj = new LoraLinear(config.HiddenSize, config.IntermediateSize, bias, device, dtype);
        down_proj = new LoraLinear(config.IntermediateSize, config.HiddenSize, bias, device, dtype) { WidensOutput = true };
        register_module(nameof(gate_proj), gate_proj);
        register_module(nameof(up_proj), up_proj);
        register_module(nameof(down_proj), down_proj);
    }

    public override Tensor forward(Tensor x) => forward(x, computeOutput: true); // [B, T, H]

    /// <summary>
    /// The block's autograd graph with its output values left unset (see <see cref="LoraLinear.ForwardForBackward"/>):
    /// gradient checkpointing's replay needs the gradients, not the output, and skips down_proj's GEMM.
    /// </summary>
    public Tensor ForwardForBackward(Tensor x) => forward(x, computeOutput: false); // [B, T, H]

    private Tensor forward(Tensor x, bool computeOutput) // [B, T, H]
    {
        using var gate = gate_proj.forward(x); // [B, T, I]
        using var activated = nn.functional.silu(gate);
        using var up = up_proj.forward(x); // [B, T, I]
        using var product = activated * up;
        return computeOutput ? down_proj.forward(product) : down_proj.ForwardForBackward(product); // [B, T, H]
    }
}
