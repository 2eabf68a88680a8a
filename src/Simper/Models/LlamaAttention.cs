using Simper.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>Multi-head self-attention with rotary positions and grouped-query key/value heads.</summary>
public sealed class LlamaAttention : nn.Module
{
    public readonly AdaptableLinear? q_proj;   // H -> NH*D
    public readonly AdaptableLinear? k_proj;   // H -> KV*D
    public readonly AdaptableLinear? v_proj;   // H -> KV*D
    public readonly AdaptableLinear? qkv_proj; // Phi-3 instead: H -> (NH + 2·KV)*D, rows of q, then k, then v
    public readonly AdaptableLinear o_proj; // NH*D -> H, read only by the residual stream
    public readonly LlamaRMSNorm? q_norm;   // Qwen3: over each head's D channels of q
    public readonly LlamaRMSNorm? k_norm;   // and of k
    private readonly int numHeads, numKvHeads, headDim, layerIndex;
    private readonly double queryFactor;  // on q, so that the kernels' 1/√D makes the family's scale (1 for all but Gemma)
    private readonly double? softCap;     // Gemma's attn_logit_softcapping

    public LlamaAttention(ModelConfig config, int layerIndex, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(LlamaAttention))
    {
        numHeads = config.NumAttentionHeads;
        numKvHeads = config.NumKeyValueHeads;
        headDim = config.HeadDim;
        this.layerIndex = layerIndex;
        // Exactly 1 unless query_pre_attn_scalar is set, so other families multiply nothing.
        queryFactor = config.QueryPreAttnScalar is null ? 1.0 : config.AttentionScale * Math.Sqrt(headDim);
        softCap = config.Gemma ? config.AttnLogitSoftcapping : null;
        if (config.FusedProjections)
        {
            qkv_proj = new AdaptableLinear(config.HiddenSize, (numHeads + 2 * numKvHeads) * headDim, config.QkvBias, device, dtype);
            register_module(nameof(qkv_proj), qkv_proj);
        }
        else
        {
            q_proj = new AdaptableLinear(config.HiddenSize, numHeads * headDim, config.QkvBias, device, dtype);
            k_proj = new AdaptableLinear(config.HiddenSize, numKvHeads * headDim, config.QkvBias, device, dtype);
            v_proj = new AdaptableLinear(config.HiddenSize, numKvHeads * headDim, config.QkvBias, device, dtype);
            register_module(nameof(q_proj), q_proj);
            register_module(nameof(k_proj), k_proj);
            register_module(nameof(v_proj), v_proj);
        }
        // Gemma norms the output before the residual adds it, so the norm reads it too.
        o_proj = new AdaptableLinear(numHeads * headDim, config.HiddenSize, config.OutputBias, device, dtype) { FeedsResidual = !config.SandwichNorms };
        register_module(nameof(o_proj), o_proj);
        if (config.QkNorm)
        {
            q_norm = new LlamaRMSNorm(headDim, config.RmsNormEps, device, dtype, config.NormAddsOne);
            k_norm = new LlamaRMSNorm(headDim, config.RmsNormEps, device, dtype, config.NormAddsOne);
            register_module(nameof(q_norm), q_norm);
            register_module(nameof(k_norm), k_norm);
        }
    }

    /// <param name="x">[B, T, H]</param>
    /// <param name="inputs">rotary tables, mask or packed layout, cache and kernel options of this forward pass</param>
    /// <returns>[B, T, H]</returns>
    public Tensor forward(Tensor x, LayerInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        var (B, T) = (x.size(0), x.size(1));
        var (qRows, kRows, vRows) = Project(x, inputs.Call); // [B, T, NH*D], [B, T, KV*D] twice
        var q = PerHead(qRows.view(B, T, numHeads, headDim), q_norm).transpose(1, 2);   // [B, NH, T, D]
        var k = PerHead(kRows.view(B, T, numKvHeads, headDim), k_norm).transpose(1, 2); // [B, KV, T, D]
        var v = vRows.view(B, T, numKvHeads, headDim).transpose(1, 2);                  // [B, KV, T, D]
        q = LlamaRotaryEmbedding.Apply(q, inputs.Cos, inputs.Sin);
        k = LlamaRotaryEmbedding.Apply(k, inputs.Cos, inputs.Sin);
        if (queryFactor != 1.0) q = q * queryFactor;
        if (inputs.Cache != null) (k, v) = inputs.Cache.Append(layerIndex, k, v); // [B, KV, S, D]

        // Grouped-query attention: k and v keep their KV heads; the attention reads each for its NH / KV query heads.
        var attended = KernelDispatch.SelfAttention(q, k, v, inputs.Mask, inputs.Packed, inputs.Call, inputs.Windowed, softCap); // [B, NH, T, D]
        var merged = attended.transpose(1, 2).reshape(B, T, numHeads * headDim);                    // [B, T, NH*D]
        return o_proj.forward(merged, inputs.Call).MoveToOuterDisposeScope();                       // [B, T, H]
    }

    /// <summary>q, k and v rows for x [B, T, H]: three projections, or slices of Phi-3's fused one.</summary>
    private (Tensor Q, Tensor K, Tensor V) Project(Tensor x, KernelCall call)
    {
        if (qkv_proj is null) return (q_proj!.forward(x, call), k_proj!.forward(x, call), v_proj!.forward(x, call));
        var qkv = qkv_proj.forward(x, call); // [B, T, (NH + 2·KV)*D]
        long queries = numHeads * headDim, keys = numKvHeads * headDim;
        return (qkv.narrow(-1, 0, queries), qkv.narrow(-1, queries, keys), qkv.narrow(-1, queries + keys, keys));
    }

    /// <summary>A head-wise norm of heads [B, T, heads, D] when the family has one, else the heads as they are.</summary>
    private static Tensor PerHead(Tensor heads, LlamaRMSNorm? norm) => norm is null ? heads : norm.forward(heads);
}
