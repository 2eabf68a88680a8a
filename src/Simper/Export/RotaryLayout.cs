using static TorchSharp.torch;

namespace Simper.Export;

/// <summary>
/// Hugging Face's Llama checkpoints rotate the two halves of each head (rotate_half); llama.cpp's llama architecture
/// rotates adjacent pairs. convert_hf_to_gguf.py's <c>LlamaModel.permute</c> reorders q_proj and k_proj output rows
/// (weights and biases alike) so that llama.cpp's pairs are Hugging Face's (i, i + head_dim/2).
/// </summary>
public static class RotaryLayout
{
    /// <summary>Rows of <paramref name="weights"/> ([heads * head_dim, ...]) reordered head by head into interleaved pairs.</summary>
    public static Tensor Permute(Tensor weights, int heads)
    {
        var shape = weights.shape;
        var rest = shape.Skip(1).ToArray();
        long[] split = [heads, 2, shape[0] / heads / 2, .. rest];
        using var reshaped = weights.reshape(split);
        using var swapped = reshaped.transpose(1, 2);
        return swapped.reshape(shape);
    }

    /// <summary>Whether the architecture needs the permutation: llama.cpp's llama (also Mistral's) does, qwen2 (NeoX rotation) does not.</summary>
    public static bool Needed(string ggufArchitecture) => ggufArchitecture == "llama";
}
