using Simper.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>
/// One pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x)). Gemma also norms each output before the
/// residual adds it: x + norm(attn(norm(x))), then x + norm(mlp(norm(x))) (<see cref="ModelConfig.SandwichNorms"/>).
/// </summary>
public sealed class LlamaDecoderLayer : nn.Module
{
    public readonly LlamaAttention self_attn;
    public readonly LlamaMLP mlp;
    public readonly LlamaRMSNorm input_layernorm;
    public readonly LlamaRMSNorm post_attention_layernorm; // Llama: before the MLP; Gemma: on the attention output
    public readonly LlamaRMSNorm? pre_feedforward_layernorm;  // Gemma: before the MLP
    public readonly LlamaRMSNorm? post_feedforward_layernorm; // Gemma: on the MLP output

    public LlamaDecoderLayer(ModelConfig config, int layerIndex, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(LlamaDecoderLayer))
    {
        self_attn = new LlamaAttention(config, layerIndex, device, dtype);
        mlp = new LlamaMLP(config, device, dtype);
        input_layernorm = new LlamaRMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype, config.NormAddsOne);
        post_attention_layernorm = new LlamaRMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype, config.NormAddsOne);
        register_module(nameof(self_attn), self_attn);
        register_module(nameof(mlp), mlp);
        register_module(nameof(input_layernorm), input_layernorm);
        register_module(nameof(post_attention_layernorm), post_attention_layernorm);
        if (config.SandwichNorms)
        {
            pre_feedforward_layernorm = new LlamaRMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype, config.NormAddsOne);
            post_feedforward_layernorm = new LlamaRMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype, config.NormAddsOne);
            register_module(nameof(pre_feedforward_layernorm), pre_feedforward_layernorm);
            register_module(nameof(post_feedforward_layernorm), post_feedforward_layernorm);
        }
    }

    /// <param name="x">[B, T, H], the residual stream</param>
    /// <param name="inputs">rotary tables, mask or packed layout, cache and kernel options of this forward pass</param>
    /// <returns>[B, T, H]</returns>
    public Tensor forward(Tensor x, LayerInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        if (pre_feedforward_layernorm is not null) return Sandwiched(x, inputs).MoveToOuterDisposeScope();
        // The attention residual is what gradient checkpointing keeps besides x (see LayerCheckpoint).
        var h = KernelDispatch.AttentionResidual(x, self_attn.forward(input_layernorm.forward(x), inputs), inputs.Call);
        using var normed = post_attention_layernorm.forward(h);
        using var update = mlp.forward(normed, inputs.Call);
        return (h + update).MoveToOuterDisposeScope();
    }

    /// <summary>Gemma's layer: each sub-layer's output normed before the residual adds it.</summary>
    private Tensor Sandwiched(Tensor x, LayerInputs inputs)
    {
        var attended = self_attn.forward(input_layernorm.forward(x), inputs);
        var h = KernelDispatch.AttentionResidual(x, post_attention_layernorm.forward(attended), inputs.Call);
        var update = mlp.forward(pre_feedforward_layernorm!.forward(h), inputs.Call);
        return h + post_feedforward_layernorm!.forward(update);
    }
}
