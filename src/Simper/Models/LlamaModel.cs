using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>The decoder stack: token embeddings, N transformer blocks, final norm. Returns hidden states [B, T, H].</summary>
public sealed class LlamaModel : nn.Module
{
    public readonly Embedding embed_tokens; // V -> H
    public readonly ModuleList<LlamaDecoderLayer> layers;
    public readonly LlamaRMSNorm norm;
    public readonly LlamaRotaryEmbedding rotary_emb;

    public LlamaModel(ModelConfig config, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(LlamaModel))
    {
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId, device: device, dtype: dtype);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new LlamaDecoderLayer(config, i, device, dtype)).ToArray());
        norm = new LlamaRMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        rotary_emb = new LlamaRotaryEmbedding(config);
        register_module(nameof(embed_tokens), embed_tokens);
        register_module(nameof(layers), layers);
        register_module(nameof(norm), norm);
        register_module(nameof(rotary_emb), rotary_emb);
    }

    /// <summary>See <see cref="LlamaForCausalLM.forward"/> for the arguments. Returns final hidden states [B, T, H].</summary>
    public Tensor forward(Tensor inputIds, Tensor? positionIds = null, Tensor? attentionMask = null, KvCache? cache = null)
    {
        using var scope = torch.NewDisposeScope();
        var (B, T) = (inputIds.size(0), inputIds.size(1));
        var past = cache?.Length ?? 0;
        positionIds ??= (torch.arange(past, past + T, device: inputIds.device).unsqueeze(0).expand(B, T)); // [B, T]
        var x = embed_tokens.forward(inputIds); // [B, T, H]
        var (cos, sin) = rotary_emb.forward(positionIds, x.dtype); // [B, T, D] each
        var mask = AttentionMasks.For(attentionMask, T, past, inputIds.device); // [B, 1, T, S] or null
        foreach (var layer in layers) x = layer.forward(x, cos, sin, mask, cache);
        return norm.forward(x).MoveToOuterDisposeScope(); // [B, T, H]
    }
}
