using Simper.Models;

namespace Simper.Tests.Models;

/// <summary>Small configurations for tests.</summary>
internal static class TestModels
{
    /// <summary>Qwen2-style: q/k/v biases, tied head, rope_theta 1e6, head_dim 12 while hidden/heads is 8.</summary>
    public static ModelConfig Qwen2Tiny() => ModelConfig.Parse("""
        {
          "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
          "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
          "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 12,
          "vocab_size": 50, "max_position_embeddings": 64, "rms_norm_eps": 1e-6,
          "rope_theta": 1000000.0, "tie_word_embeddings": true, "hidden_act": "silu",
          "bos_token_id": 1, "eos_token_id": [2, 3], "torch_dtype": "bfloat16",
          "sliding_window": 32, "use_sliding_window": false
        }
        """);
}
