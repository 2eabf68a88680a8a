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

    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, PackedAttention? packed = null) => // x: [B, T, H]
        forward(x, cos, sin, mask, cache, packed, computeOutput: true);

    /// <summary>
    /// The layer's autograd graph with its output values left unset, for gradient checkpointing's replay, which
    /// back-propagates through the layer but reads none of its output (see <see cref="LlamaMLP.ForwardForBackward"/>).
    /// </summary>
    public Tensor ForwardForBackward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, PackedAttention? packed) =>
        forward(x, cos, sin, mask, null, packed, computeOutput: false);

    private Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, PackedAttention? packed, bool computeOutput)
    {
        using var scope = torch.NewDisposeScope();
        var h = x + self_attn.forward(input_layernorm.forward(x), cos, sin, mask, cache, packed); // [B, T, H]
        var normed = post_attention_layernorm.forward(h);
        var output = h + (computeOutput ? mlp.forward(normed) : mlp.ForwardForBackward(normed));  // [B, T, H]
        return output.MoveToOuterDisposeScope();
    }
}
