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
        ["qwen3"] = "Qwen3ForCausalLM",
    };

    /// <summary>The model_type values read, as an error message lists them.</summary>
    public static string KnownTypes => string.Join(", ", ArchitectureByType.Keys);

    /// <summary>Whether q_proj, k_proj and v_proj carry a bias: Qwen2 always, Llama and Qwen3 when attention_bias, Mistral never.</summary>
    public bool QkvBias => ModelType switch { "qwen2" => true, "llama" or "qwen3" => AttentionBias, _ => false };
    /// <summary>Whether o_proj carries a bias: Llama and Qwen3 with attention_bias.</summary>
    public bool OutputBias => ModelType is "llama" or "qwen3" && AttentionBias;
    /// <summary>Whether the MLP linears carry a bias: only Llama with mlp_bias.</summary>
    public bool MlpHasBias => ModelType == "llama" && MlpBias;
    /// <summary>Qwen3: an RMSNorm over each head's q and k (q_norm, k_norm) after the projections, before RoPE.</summary>
    public bool QkNorm => ModelType is "qwen3";

    /// <summary>
    /// The sliding window of layer <paramref name="layer"/> (query i sees key j when j ≤ i and i − j &lt; window), or
    /// null for full causal attention. As transformers: Mistral slides on every layer; Qwen2 and Qwen3 only with
    /// use_sliding_window, on the layers from max_window_layers on (or those layer_types names); Llama never.
    /// </summary>
    public int? WindowOf(int layer)
    {
        if (SlidingWindow is not { } window) return null;
        var slides = ModelType switch
        {
            "mistral" => true,
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
