using Simper.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>
/// A decoder-only language model in the Llama layout (also Mistral and Qwen2), with module names matching
/// transformers so that state_dict keys are the checkpoint's keys (model.layers.0.self_attn.q_proj.weight, ...).
/// </summary>
public sealed class LlamaForCausalLM : nn.Module
{
    public readonly LlamaModel model;
    /// <summary>
    /// The output projection H -> V, or null when the head is tied to the embeddings: the logits then use
    /// model.embed_tokens.weight itself, so there is exactly one Parameter (training updates both roles) and the
    /// state_dict has no lm_head.weight, as in a transformers checkpoint with tie_word_embeddings.
    /// </summary>
    public readonly Linear? lm_head;
    public ModelConfig Config { get; }

    public LlamaForCausalLM(ModelConfig config, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(config.Architecture)
    {
        Config = config;
        model = new LlamaModel(config, device, dtype);
        register_module(nameof(model), model);
        if (!config.TieWordEmbeddings)
        {
            lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false, device, dtype);
            register_module(nameof(lm_head), lm_head);
        }
    }

    /// <summary>The output projection's weight [V, H]: lm_head.weight, or the embedding matrix when tied.</summary>
    public Parameter OutputWeight => lm_head?.weight ?? model.embed_tokens.weight!;

    /// <summary>The device and dtype the weights live on.</summary>
    public Device Device => model.embed_tokens.weight!.device;
    public ScalarType Dtype => model.embed_tokens.weight!.dtype;

    /// <summary>How bfloat16 products and attention compute on the CPU (see <see cref="KernelOptions"/>); this CPU's defaults unless set.</summary>
    public KernelOptions Kernels
    {
        get => model.Kernels;
        set => model.Kernels = value;
    }

    /// <param name="inputIds">[B, T] token ids</param>
    /// <param name="positionIds">[B, T] absolute positions; default past + 0..T-1</param>
    /// <param name="attentionMask">a 2-D padding mask [B, past+T] (1 = real token), or a 4-D boolean mask
    /// [B, 1, T, past+T] (true = may attend) used as given; default causal</param>
    /// <param name="cache">keys/values of earlier positions; extended with these T positions</param>
    /// <returns>logits [B, T, V] in the model's dtype</returns>
    public Tensor forward(Tensor inputIds, Tensor? positionIds = null, Tensor? attentionMask = null, KvCache? cache = null)
    {
        using var scope = torch.NewDisposeScope();
        var hidden = model.forward(inputIds, positionIds, attentionMask, cache); // [B, T, H]
        return Logits(hidden).MoveToOuterDisposeScope();                         // [B, T, V]
    }

    /// <summary>
    /// Final hidden states [B, T, H] (after the last norm, before the head), for chunk-wise log-probs.
    /// <paramref name="packed"/>: a packed row [1, N] of independent sequences, see <see cref="PackedAttention"/>.
    /// </summary>
    public Tensor HiddenStates(Tensor inputIds, Tensor? positionIds = null, Tensor? attentionMask = null, KvCache? cache = null, PackedAttention? packed = null) =>
        model.forward(inputIds, positionIds, attentionMask, cache, packed);

    /// <summary>Applies the output head: hidden [..., H] -> logits [..., V] in the model's dtype.</summary>
    public Tensor Logits(Tensor hidden) => KernelDispatch.Logits(hidden, OutputWeight, Kernels, LogitSoftCap);

    /// <summary>Gemma's final_logit_softcapping (logits become cap · tanh(logit / cap)), or null.</summary>
    public double? LogitSoftCap => Config.Gemma ? Config.FinalLogitSoftcapping : null;

    /// <summary>A fresh key/value cache sized for this model's layers.</summary>
    public KvCache NewCache() => new(Config.NumHiddenLayers);
}
