using Simper.Kernels;
using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>
/// What every decoder layer of one forward pass reads besides the hidden states, as transformers hands each layer
/// its position_embeddings, attention_mask and past_key_value.
/// </summary>
/// <param name="Cos">[B, T, D] rotary table for these positions</param>
/// <param name="Sin">[B, T, D]</param>
/// <param name="Mask">[B or 1, 1, T, S] boolean (true = may attend), or null for plain causal attention</param>
/// <param name="Cache">keys/values of earlier positions, extended in place; null in training</param>
/// <param name="Packed">for a packed row (B = 1): which positions attend to which, instead of a mask</param>
/// <param name="Call">the model's kernel options, and gradient checkpointing's state inside a checkpointed layer</param>
/// <param name="Windowed">whether <see cref="Mask"/> or <see cref="Packed"/> cuts a sliding window (a sliding layer's inputs
/// when the window is shorter than the sequence); the inputs of full-attention layers, and of sliding layers over
/// sequences the window covers, are today's causal ones</param>
public sealed record LayerInputs(Tensor Cos, Tensor Sin, Tensor? Mask, KvCache? Cache, PackedAttention? Packed, KernelCall Call,
    bool Windowed = false);
