using Simper.Lora;
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

    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, PackedAttention? packed = null) // x: [B, T, H]
    {
        using var scope = torch.NewDisposeScope();
        var h = AttentionResidual(x, cos, sin, mask, cache, packed); // [B, T, H]
        return MlpResidual(h).MoveToOuterDisposeScope();
    }

    /// <summary>The layer's first half, h = x + attn(norm(x)) [B, T, H]: what gradient checkpointing saves besides x.</summary>
    public Tensor AttentionResidual(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, PackedAttention? packed) =>
        x + self_attn.forward(input_layernorm.forward(x), cos, sin, mask, cache, packed);

    /// <summary>The layer's second half, h + mlp(norm(h)) [B, T, H].</summary>
    public Tensor MlpResidual(Tensor h)
    {
        using var normed = post_attention_layernorm.forward(h);
        using var update = mlp.forward(normed);
        return h + update;
    }

    /// <summary>
    /// The layer's autograd graph with its output values left unset, for gradient checkpointing's replay, which
    /// back-propagates through the layer but reads none of its output. <paramref name="h"/> holds the values of
    /// <see cref="AttentionResidual"/> saved by the forward pass, so the replay computes neither of the products whose
    /// outputs only the residual stream reads (o_proj's and down_proj's, see <see cref="LoraLinear.ForwardForBackward"/>);
    /// the gradients are exact.
    /// </summary>
    public Tensor ForwardForBackward(Tensor x, Tensor h, Tensor cos, Tensor sin, Tensor? mask, PackedAttention? packed) // x, h: [B, T, H]
    {
        using var scope = torch.NewDisposeScope();
        var attended = self_attn.ForwardForBackward(input_layernorm.forward(x), cos, sin, mask, packed); // values unset
        var residual = SavedResidual.Run(x, attended, h);                                              // h's values
        var update = mlp.ForwardForBackward(post_attention_layernorm.forward(residual));              // values unset
        return (residual + update).MoveToOuterDisposeScope();
    }
}
