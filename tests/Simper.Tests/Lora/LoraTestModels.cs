using Simper.Lora;
using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Lora;

internal static class LoraTestModels
{
    /// <summary>Llama with attention and MLP biases, grouped-query attention (4 heads, 2 KV heads) and an untied head.</summary>
    public static ModelConfig LlamaTiny() => ModelConfig.Parse("""
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama",
          "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
          "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 40,
          "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "tie_word_embeddings": false,
          "attention_bias": true, "mlp_bias": true, "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 2
        }
        """);

    /// <summary>The bench-26m shape: hidden 512, 6 layers, 8 heads, 4 KV heads, intermediate 1376, vocab 8192, untied head.</summary>
    public static ModelConfig Bench26m() => ModelConfig.Parse("""
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama",
          "hidden_size": 512, "intermediate_size": 1376, "num_hidden_layers": 6,
          "num_attention_heads": 8, "num_key_value_heads": 4, "vocab_size": 8192,
          "max_position_embeddings": 512, "tie_word_embeddings": false, "hidden_act": "silu"
        }
        """);

    public static Tensor Ids() => torch.tensor(new long[] { 1, 7, 9, 30, 4, 12, 39, 5, 3, 3, 17, 21 }, [2, 6]);

    /// <summary>Gives every adapter random A and B, so the adapters change the model's output.</summary>
    public static void RandomizeAdapters(LlamaForCausalLM model, int seed)
    {
        using var noGrad = torch.no_grad();
        using var generator = new torch.Generator((ulong)seed);
        foreach (var (_, layer) in LoraModel.Adapted(model))
        {
            layer.lora_A!.weight!.normal_(0, 0.2, generator);
            layer.lora_B!.weight!.normal_(0, 0.2, generator);
        }
    }

    /// <summary>Same shape and every element bit-for-bit equal.</summary>
    public static bool Identical(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var equal = a.eq(b).all();
        return equal.item<bool>();
    }

    public static double MaxDifference(Tensor a, Tensor b)
    {
        using var difference = (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max();
        return difference.item<double>();
    }
}
