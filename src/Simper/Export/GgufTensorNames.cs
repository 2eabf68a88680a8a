using System.Text.RegularExpressions;

namespace Simper.Export;

/// <summary>Hugging Face weight names to llama.cpp's GGUF tensor names, as gguf-py's tensor mapping gives them.</summary>
public static partial class GgufTensorNames
{
    private static readonly Dictionary<string, string> Global = new()
    {
        ["model.embed_tokens"] = "token_embd",
        ["model.norm"] = "output_norm",
        ["lm_head"] = "output",
    };

    private static readonly Dictionary<string, string> PerLayer = new()
    {
        ["input_layernorm"] = "attn_norm",
        ["self_attn.q_proj"] = "attn_q",
        ["self_attn.k_proj"] = "attn_k",
        ["self_attn.v_proj"] = "attn_v",
        ["self_attn.o_proj"] = "attn_output",
        ["post_attention_layernorm"] = "ffn_norm",
        ["mlp.gate_proj"] = "ffn_gate",
        ["mlp.up_proj"] = "ffn_up",
        ["mlp.down_proj"] = "ffn_down",
    };

    [GeneratedRegex(@"^model\.layers\.(\d+)\.(.+)$")]
    private static partial Regex LayerModule();

    /// <summary>The GGUF name of module <paramref name="module"/> (without .weight/.bias), or null when it has none.</summary>
    public static string? Module(string module)
    {
        if (Global.TryGetValue(module, out var name)) return name;
        var m = LayerModule().Match(module);
        return m.Success && PerLayer.TryGetValue(m.Groups[2].Value, out var layer) ? $"blk.{m.Groups[1].Value}.{layer}" : null;
    }

    /// <summary>The GGUF name of weight <paramref name="weight"/> ("….weight" or "….bias"), or null when it has none.</summary>
    public static string? Weight(string weight)
    {
        var dot = weight.LastIndexOf('.');
        if (dot < 0) return null;
        var suffix = weight[(dot + 1)..];
        if (suffix is not ("weight" or "bias")) return null;
        return Module(weight[..dot]) is { } module ? $"{module}.{suffix}" : null;
    }
}
