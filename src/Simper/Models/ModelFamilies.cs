namespace Simper.Models;

/// <summary>
/// What each family changes against Llama, in one place. Every family is the one model
/// (<see cref="LlamaForCausalLM"/>); its modules read these switches and nothing else about the family.
/// </summary>
public sealed partial record ModelConfig
{
    private static readonly Dictionary<string, string> ArchitectureByType = new()
    {
        ["llama"] = "LlamaForCausalLM", ["mistral"] = "MistralForCausalLM", ["qwen2"] = "Qwen2ForCausalLM",
        ["qwen3"] = "Qwen3ForCausalLM", ["phi3"] = "Phi3ForCausalLM", ["gemma2"] = "Gemma2ForCausalLM", ["gemma3_text"] = "Gemma3ForCausalLM",
    };

    /// <summary>
    /// A fresh model of <paramref name="family"/> (a model_type) in the shape of <paramref name="llama"/>, with the
    /// family's own settings as transformers' config classes default them, for <c>simper init --family</c>. Windows
    /// are kept within the context so that they apply: Mistral's is half of it.
    /// </summary>
    public static ModelConfig ForFamily(ModelConfig llama, string family)
    {
        if (!ArchitectureByType.TryGetValue(family, out var architecture))
            throw new SimperException($"--family {family}: unknown family; expected one of {KnownTypes}");
        var config = llama with { ModelType = family, Architecture = architecture };
        return family switch
        {
            "mistral" => config with { SlidingWindow = Math.Min(4096, llama.MaxPositionEmbeddings / 2) },
            "qwen2" or "qwen3" => config with { RopeTheta = 1e6, SlidingWindow = null, UseSlidingWindow = false },
            "phi3" => config with { PartialRotaryFactor = 0.75, SlidingWindow = llama.MaxPositionEmbeddings, OriginalMaxPositionEmbeddings = llama.MaxPositionEmbeddings },
            // Gemma's query_pre_attn_scalar is its head_dim in the released models.
            "gemma2" => config with
            {
                SlidingWindow = llama.MaxPositionEmbeddings / 2, QueryPreAttnScalar = llama.HeadDim,
                AttnLogitSoftcapping = 50.0, FinalLogitSoftcapping = 30.0,
            },
            "gemma3_text" => config with
            {
                SlidingWindow = llama.MaxPositionEmbeddings / 2, QueryPreAttnScalar = llama.HeadDim, RopeTheta = 1e6,
                RopeLocalBaseFreq = 10000.0, SlidingWindowPattern = 6,
            },
            _ => config,
        };
    }

    /// <summary>The model_type values read, as an error message lists them.</summary>
    public static string KnownTypes => string.Join(", ", ArchitectureByType.Keys);

    /// <summary>Whether q_proj, k_proj and v_proj carry a bias: Qwen2 always, Llama and Qwen3 when attention_bias, Mistral never.</summary>
    public bool QkvBias => ModelType switch { "qwen2" => true, "llama" or "qwen3" => AttentionBias, _ => false };
    /// <summary>Whether o_proj carries a bias: Llama and Qwen3 with attention_bias.</summary>
    public bool OutputBias => ModelType is "llama" or "qwen3" && AttentionBias;
    /// <summary>Whether the MLP linears carry a bias: only Llama with mlp_bias.</summary>
    public bool MlpHasBias => ModelType == "llama" && MlpBias;
    /// <summary>Qwen3 and Gemma 3: an RMSNorm over each head's q and k (q_norm, k_norm) after the projections, before RoPE.</summary>
    public bool QkNorm => ModelType is "qwen3" or "gemma3_text";

    /// <summary>
    /// Gemma 2 and 3 against Llama: embeddings times √hidden_size; every RMSNorm multiplies by (1 + weight) (weights
    /// start at 0); the MLP gates with GELU (tanh approximation); a layer norms its attention and MLP outputs too
    /// (post_attention_layernorm then normalises the attention output, pre_ and post_feedforward_layernorm wrap the
    /// MLP); scores are scaled by query_pre_attn_scalar^−½ and may be soft-capped, as may the logits.
    /// </summary>
    public bool Gemma => ModelType is "gemma2" or "gemma3_text";
    /// <summary>Gemma: RMSNorm multiplies by (1 + weight).</summary>
    public bool NormAddsOne => Gemma;
    /// <summary>Gemma: four norms a layer, the attention and MLP outputs normed before the residual adds them.</summary>
    public bool SandwichNorms => Gemma;
    /// <summary>Gemma: input embeddings times √hidden_size.</summary>
    public bool ScalesEmbeddings => Gemma;
    /// <summary>Gemma: the MLP's gate activation is GELU with the tanh approximation rather than SiLU.</summary>
    public bool Gelu => Gemma;
    /// <summary>The factor on q·k: query_pre_attn_scalar^−½ (Gemma), else head_dim^−½.</summary>
    public double AttentionScale => 1.0 / Math.Sqrt(QueryPreAttnScalar ?? HeadDim);
    /// <summary>Gemma 3: the RoPE base of the sliding layers (without rope_scaling); null when every layer shares one.</summary>
    public double? LocalRopeTheta => RopeLocalBaseFreq;
    /// <summary>
    /// Phi-3: q, k and v come from one projection (qkv_proj, rows of q then k then v) and the MLP's gate and up from
    /// one (gate_up_proj, gate rows then up rows), kept fused as the checkpoint stores them.
    /// </summary>
    public bool FusedProjections => ModelType is "phi3";

    /// <summary>The linear projections of a decoder layer as the checkpoint names them: what LoRA's all-linear adapts.</summary>
    public IReadOnlyList<string> LinearProjections => FusedProjections ? FusedLinearProjections : SeparateLinearProjections;

    /// <summary>Llama's seven projections (one instance, so records holding it compare equal).</summary>
    public static IReadOnlyList<string> SeparateLinearProjections { get; } = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
    /// <summary>Phi-3's four.</summary>
    public static IReadOnlyList<string> FusedLinearProjections { get; } = ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"];

    /// <summary>
    /// longrope's context: the pretrained one past which the long factors apply (rope_scaling's own, else Phi-3's
    /// original_max_position_embeddings, else max_position_embeddings), and the attention factor on cos and sin,
    /// √(1 + ln s / ln original) for s = max / original (or the config's factor without an original), as transformers.
    /// </summary>
    public (int OriginalContext, double AttentionFactor) LongRopeContext()
    {
        var s = LongRope!;
        var original = s.OriginalMaxPositionEmbeddings ?? OriginalMaxPositionEmbeddings ?? MaxPositionEmbeddings;
        var statesOriginal = s.OriginalMaxPositionEmbeddings is not null || OriginalMaxPositionEmbeddings is not null;
        var factor = statesOriginal ? (double)MaxPositionEmbeddings / original : s.Factor ?? 1.0;
        return (original, s.AttentionFactor ?? (factor <= 1.0 ? 1.0 : Math.Sqrt(1 + Math.Log(factor) / Math.Log(original))));
    }

    /// <summary>The channels of each head that RoPE rotates: head_dim · partial_rotary_factor (Phi-3), the rest pass through.</summary>
    public int RotaryDim => (int)(HeadDim * PartialRotaryFactor);

    /// <summary>
    /// The sliding window of layer <paramref name="layer"/> (query i sees key j when j ≤ i and i − j &lt; window), or
    /// null for full causal attention. As transformers: Mistral and Phi-3 slide on every layer; Qwen2 and Qwen3 only with
    /// use_sliding_window, on the layers from max_window_layers on (or those layer_types names); Gemma 2 on even layers and Gemma 3 on all but every sliding_window_pattern-th, unless layer_types says; Llama never.
    /// </summary>
    public int? WindowOf(int layer)
    {
        if (SlidingWindow is not { } window) return null;
        var slides = ModelType switch
        {
            "mistral" or "phi3" => true,
            "gemma2" => LayerTypes is { } gemma2 ? gemma2[layer] == "sliding_attention" : layer % 2 == 0,
            "gemma3_text" => LayerTypes is { } gemma3 ? gemma3[layer] == "sliding_attention" : (layer + 1) % (SlidingWindowPattern ?? 6) != 0,
            "qwen2" or "qwen3" => UseSlidingWindow == true && (LayerTypes is { } types
                ? types[layer] == "sliding_attention"
                : layer >= (MaxWindowLayers ?? 28)), // transformers' default max_window_layers
            _ => false,
        };
        return slides ? window : null;
    }

    /// <summary>The one window the sliding layers share, or null when no layer slides.</summary>
    public int? Window => Enumerable.Range(0, NumHiddenLayers).Select(WindowOf).FirstOrDefault(w => w != null);
}
