using Simper.Models;

namespace Simper.Lora;

/// <summary>
/// Parameter counts of a model and its LoRA adapters worked out from the config alone, without allocating a weight:
/// what <see cref="LoraModel.CountParameters"/> reports after <see cref="LoraModel.Apply"/>, for models too large to
/// build (a 7B shape on a laptop).
/// </summary>
public static class LoraParameterCounts
{
    /// <summary>
    /// Trainable (the adapters) and total (base + adapters) parameters of a <see cref="LlamaForCausalLM"/> of
    /// <paramref name="model"/>'s shape with adapters as <paramref name="lora"/> places them. Each adapted projection
    /// in -> out adds r·(in + out); tied embeddings count once. Targets are checked as <see cref="LoraModel.Apply"/> checks them.
    /// </summary>
    public static ParameterCounts For(ModelConfig model, LoraConfig lora)
    {
        var projections = Projections(model).ToList();
        lora = lora.ForModel(model);
        LoraModel.CheckTargets(projections.Select(p => p.Name), lora, "lora");
        long baseTotal = (long)model.VocabSize * model.HiddenSize                          // embed_tokens
            + (long)model.NumHiddenLayers * (model.SandwichNorms ? 4 : 2) * model.HiddenSize // two norms per layer, Gemma four
            + (model.QkNorm ? (long)model.NumHiddenLayers * 2 * model.HeadDim : 0)          // q_norm, k_norm
            + model.HiddenSize                                                             // final norm
            + (model.TieWordEmbeddings ? 0 : (long)model.VocabSize * model.HiddenSize);    // lm_head
        long adapters = 0;
        foreach (var (name, inFeatures, outFeatures, bias) in projections)
        {
            baseTotal += inFeatures * outFeatures + (bias ? outFeatures : 0);
            if (lora.Targets(name)) adapters += (long)lora.Rank * (inFeatures + outFeatures);
        }
        return new ParameterCounts(adapters, baseTotal + adapters);
    }

    /// <summary>Every linear projection of the decoder with its full module name, input and output sizes and bias.</summary>
    public static IEnumerable<(string Name, long In, long Out, bool Bias)> Projections(ModelConfig model)
    {
        long hidden = model.HiddenSize, queries = (long)model.NumAttentionHeads * model.HeadDim,
            keys = (long)model.NumKeyValueHeads * model.HeadDim, intermediate = model.IntermediateSize;
        for (var i = 0; i < model.NumHiddenLayers; i++)
        {
            var attention = $"model.layers.{i}.self_attn.";
            var mlp = $"model.layers.{i}.mlp.";
            if (model.FusedProjections) yield return (attention + "qkv_proj", hidden, queries + 2 * keys, model.QkvBias);
            else
            {
                yield return (attention + "q_proj", hidden, queries, model.QkvBias);
                yield return (attention + "k_proj", hidden, keys, model.QkvBias);
                yield return (attention + "v_proj", hidden, keys, model.QkvBias);
            }
            yield return (attention + "o_proj", queries, hidden, model.OutputBias);
            if (model.FusedProjections) yield return (mlp + "gate_up_proj", hidden, 2 * intermediate, model.MlpHasBias);
            else
            {
                yield return (mlp + "gate_proj", hidden, intermediate, model.MlpHasBias);
                yield return (mlp + "up_proj", hidden, intermediate, model.MlpHasBias);
            }
            yield return (mlp + "down_proj", intermediate, hidden, model.MlpHasBias);
        }
    }
}
