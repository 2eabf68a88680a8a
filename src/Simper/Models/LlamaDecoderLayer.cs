using Simper.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>One pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x)).</summary>
public sealed class LlamaDecoderLayer : nn.Module
{
    public readonly LlamaAttention self_attn;
    public readonly LlamaMLP mlp;
    public readonly LlamaRMSNorm input_layernorm;
    public readonly LlamaRMSNorm post_attention_layernorm;

    public LlamaDecoderLayer(ModelConfig config, int layerIndex, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(LlamaDecoderLayer))
    {
        self_attn = new LlamaAttention(config, layerIndex, device, dtype);
        mlp = new LlamaMLP(config, device, dtype);
        input_layernorm = new LlamaRMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        post_attention_layernorm = new LlamaRMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        register_module(nameof(self_attn), self_attn);
        register_module(nameof(mlp), mlp);
        register_module(nameof(input_layernorm), input_layernorm);
        register_module(nameof(post_attention_layernorm), post_attention_layernorm);
    }

    /// <param name="x">[B, T, H], the residual stream</param>
    /// <param name="inputs">rotary tables, mask or packed layout, cache and kernel options of this forward pass</param>
    /// <returns>[B, T, H]</returns>
    public Tensor forward(Tensor x, LayerInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        // The attention residual is what gradient checkpointing keeps besides x (see LayerCheckpoint).
        var h = KernelDispatch.AttentionResidual(x, self_attn.forward(input_layernorm.forward(x), inputs), inputs.Call);
        using var normed = post_attention_layernorm.forward(h);
        using var update = mlp.forward(normed, inputs.Call);
        return (h + update).MoveToOuterDisposeScope();
    }
}
