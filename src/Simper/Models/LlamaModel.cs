using Simper.Kernels;
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
    public readonly LlamaRotaryEmbedding? rotary_emb_local; // Gemma 3: the sliding layers' RoPE base
    private readonly double? embeddingScale;                // Gemma: √hidden_size as the checkpoint's dtype rounds it
    private readonly int? window;      // the sliding layers' window; null when no layer slides
    private readonly bool[] slides;    // per layer: whether it applies the window

    public LlamaModel(ModelConfig config, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(LlamaModel))
    {
        window = config.Window;
        slides = [.. Enumerable.Range(0, config.NumHiddenLayers).Select(i => config.WindowOf(i) != null)];
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId, device: device, dtype: dtype);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new LlamaDecoderLayer(config, i, device, dtype)).ToArray());
        norm = new LlamaRMSNorm(config.HiddenSize, config.RmsNormEps, device, dtype, config.NormAddsOne);
        rotary_emb = new LlamaRotaryEmbedding(config);
        if (config.LocalRopeTheta is not null)
        {
            rotary_emb_local = new LlamaRotaryEmbedding(config, local: true);
            register_module(nameof(rotary_emb_local), rotary_emb_local);
        }
        if (config.ScalesEmbeddings) embeddingScale = RoundedTo(Math.Sqrt(config.HiddenSize), config.StorageDtype);
        register_module(nameof(embed_tokens), embed_tokens);
        register_module(nameof(layers), layers);
        register_module(nameof(norm), norm);
        register_module(nameof(rotary_emb), rotary_emb);
    }

    /// <summary>
    /// Keep only each decoder layer's input and attention residual during the forward pass and recompute the layer in
    /// the backward pass (one extra forward per layer but the last, less its o_proj and down_proj products), so training
    /// holds two [B, T, H] tensors per layer instead of all activations; scoring likewise runs the output head chunk
    /// by chunk instead of keeping [positions, V] logits (<see cref="KernelDispatch.ChooseHead"/>). Applies only while
    /// gradients are enabled; gradients are unchanged.
    /// </summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>Native or float32 bfloat16 kernels, handed to every operation of a forward pass; this CPU's defaults unless set.</summary>
    public KernelOptions Kernels { get; set; } = KernelOptions.ForThisCpu;

    /// <summary>
    /// See <see cref="LlamaForCausalLM.forward"/> for the arguments; <paramref name="packed"/> describes a packed row
    /// (B = 1, no cache, no attention mask) whose sequences attend only within themselves. Returns final hidden states [B, T, H].
    /// </summary>
    public Tensor forward(Tensor inputIds, Tensor? positionIds = null, Tensor? attentionMask = null, KvCache? cache = null, PackedAttention? packed = null)
    {
        using var scope = torch.NewDisposeScope();
        var (B, T) = (inputIds.size(0), inputIds.size(1));
        if (packed is not null && (B != 1 || T != packed.Length || cache is not null || attentionMask is not null))
            throw new ArgumentException($"a packed row is one batch row of {packed.Length} tokens, without cache or attention mask; got input [{B}, {T}]");
        var past = cache?.Length ?? 0;
        positionIds ??= (torch.arange(past, past + T, device: inputIds.device).unsqueeze(0).expand(B, T)); // [B, T]
        var computeType = embed_tokens.weight!.dtype;
        var x = embed_tokens.forward(inputIds).to(ResidualType(computeType)); // [B, T, H]
        if (embeddingScale is { } scale) x = x * RoundedTo(scale, computeType);
        var (cos, sin) = rotary_emb.forward(positionIds, computeType); // [B, T, D] each
        var mask = packed is null ? AttentionMasks.For(attentionMask, T, past, inputIds.device) : null; // [B, 1, T, S] or null
        var inputs = new LayerInputs(cos, sin, mask, cache, packed, new KernelCall(Kernels));
        var slidingInputs = window is { } w ? Sliding(inputs, w, positionIds, T, past) : inputs;
        if (rotary_emb_local is not null)
        {
            var (localCos, localSin) = rotary_emb_local.forward(positionIds, computeType); // [B, T, D] each
            slidingInputs = slidingInputs with { Cos = localCos, Sin = localSin };
        }
        var checkpoint = GradientCheckpointing && torch.is_grad_enabled() && cache is null;
        // A checkpointed layer is replayed only when its input needs a gradient; with frozen embeddings it would not,
        // and the layers' own parameters would then never get theirs.
        if (checkpoint && !x.requires_grad) x = x.detach().requires_grad_(true);
        // The last layer is never checkpointed: the backward pass starts with it, so its replay would rebuild at once
        // the very activations the forward pass had kept, for the same peak memory and one more layer of compute.
        for (var i = 0; i < layers.Count; i++)
        {
            var layerInputs = slides[i] ? slidingInputs : inputs;
            x = checkpoint && i < layers.Count - 1
                ? LayerCheckpoint.Run(layers[i], x, layerInputs)
                : layers[i].forward(x, layerInputs);
        }
        return norm.forward(x).MoveToOuterDisposeScope(); // [B, T, H] in the weights' dtype
    }

    /// <summary>
    /// What a sliding layer reads: the full-attention layers' inputs themselves while the window covers every
    /// sequence (today's kernels and cost), else their mask or packed layout cut to the window.
    /// </summary>
    private static LayerInputs Sliding(LayerInputs inputs, long window, Tensor positionIds, long queryLength, long pastLength)
    {
        if (inputs.Packed is { } packed)
        {
            var cut = packed.Windowed(window);
            return ReferenceEquals(cut, packed) ? inputs : inputs with { Packed = cut, Windowed = true };
        }
        if (pastLength + queryLength <= window) return inputs; // no query sees a key a window back
        return inputs with { Mask = AttentionMasks.Windowed(inputs.Mask, positionIds, queryLength, pastLength, window), Windowed = true };
    }

    /// <summary>A value as a tensor of <paramref name="dtype"/> holds it (transformers rounds Gemma's embedding scale so).</summary>
    private static double RoundedTo(double value, ScalarType dtype)
    {
        using var t = torch.tensor(value, dtype: dtype);
        using var wide = t.to(ScalarType.Float64);
        return wide.item<double>();
    }

    /// <summary>
    /// The dtype of the residual stream, the running sum every layer adds its output to: float32 for 16-bit weights
    /// (as Megatron-LM's fp32_residual_connection), the weights' dtype otherwise. bfloat16 keeps 8 bits of mantissa,
    /// so each layer's small update to the sum would be rounded at every add; the error compounds over layers and
    /// through training, where a float32 sum leaves only the weights' own rounding. The layers still compute in the
    /// weights' dtype (each norm hands its layer a 16-bit input), and the norms keep a float32 copy of the stream for
    /// the backward pass either way, so activation memory barely changes.
    /// </summary>
    public static ScalarType ResidualType(ScalarType weightType) => DtypeNames.Widened(weightType);
}
