using Simper.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>Multi-head self-attention with rotary positions and grouped-query key/value heads.</summary>
public sealed class LlamaAttention : nn.Module
{
    public readonly LoraLinear q_proj; // H -> NH*D
    public readonly LoraLinear k_proj; // H -> KV*D
    public readonly LoraLinear v_proj; // H -> KV*D
    public readonly LoraLinear o_proj; // NH*D -> H
    private readonly int numHeads, numKvHeads, headDim, layerIndex;

    public LlamaAttention(ModelConfig config, int layerIndex, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(LlamaAttention))
    {
        numHeads = config.NumAttentionHeads;
        numKvHeads = config.NumKeyValueHeads;
        headDim = config.HeadDim;
        this.layerIndex = layerIndex;
        q_proj = new LoraLinear(config.HiddenSize, numHeads * headDim, config.QkvBias, device, dtype);
        k_proj = new LoraLinear(config.HiddenSize, numKvHeads * headDim, config.QkvBias, device, dtype);
        v_proj = new LoraLinear(config.HiddenSize, numKvHeads * headDim, config.QkvBias, device, dtype);
        o_proj = new LoraLinear(numHeads * headDim, config.HiddenSize, config.OutputBias, device, dtype) { WidensOutput = true };
        register_module(nameof(q_proj), q_proj);
        register_module(nameof(k_proj), k_proj);
        register_module(nameof(v_proj), v_proj);
        register_module(nameof(o_proj), o_proj);
    }

    /// <param name="x">[B, T, H]</param>
    /// <param name="cos">[B, T, D] rotary tables for these positions</param>
    /// <param name="sin">[B, T, D]</param>
    /// <param name="mask">[B or 1, 1, T, S] boolean, or null for plain causal attention</param>
    /// <param name="cache">keys/values of earlier positions, extended in place</param>
    /// <param name="packed">for a packed row (B = 1): which positions attend to which, instead of a mask</param>
    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, PackedAttention? packed = null) =>
        forward(x, cos, sin, mask, cache, packed, computeOutput: true);

    /// <summary>
    /// The block's autograd graph with its output values left unset (see <see cref="LoraLinear.ForwardForBackward"/>):
    /// a checkpointed layer's replay, which has the layer's attention residual saved, skips o_proj's GEMM.
    /// </summary>
    public Tensor ForwardForBackward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, PackedAttention? packed) =>
        forward(x, cos, sin, mask, null, packed, computeOutput: false);

    private Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, PackedAttention? packed, bool computeOutput)
    {
        using var scope = torch.NewDisposeScope();
        var (B, T) = (x.size(0), x.size(1));
        var q = q_proj.forward(x).view(B, T, numHeads, headDim).transpose(1, 2);   // [B, NH, T, D]
        var k = k_proj.forward(x).view(B, T, numKvHeads, headDim).transpose(1, 2); // [B, KV, T, D]
        var v = v_proj.forward(x).view(B, T, numKvHeads, headDim).transpose(1, 2); // [B, KV, T, D]
        q = LlamaRotaryEmbedding.Apply(q, cos, sin);
        k = LlamaRotaryEmbedding.Apply(k, cos, sin);
        if (cache != null) (k, v) = cache.Append(layerIndex, k, v); // [B, KV, S, D]

        // Grouped-query attention: k and v keep their KV heads; the attention reads each for its NH / KV query heads.
        var attended = packed?.Attend(q, k, v)
            ?? Float32Attention.Attend(q, k, v, mask, causal: mask is null && T > 1); // [B, NH, T, D]
        var merged = attended.transpose(1, 2).reshape(B, T, numHeads * headDim); // [B, T, NH*D]
        var output = computeOutput ? o_proj.forward(merged) : o_proj.ForwardForBackward(merged); // [B, T, H]
        return output.MoveToOuterDisposeScope();
    }
}
