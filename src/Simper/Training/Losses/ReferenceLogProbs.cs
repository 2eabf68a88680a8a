using Simper.Models;
using Simper.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Training.Losses;

/// <summary>
/// Where reference log-probs come from: the precomputed dataset fields (TRL's <c>ref_chosen_logps</c> /
/// <c>ref_rejected_logps</c>) when every example has them, otherwise a frozen reference model run without gradients.
/// </summary>
public sealed class ReferenceLogProbs
{
    private readonly LlamaForCausalLM? _model;

    private ReferenceLogProbs(LlamaForCausalLM? model) => _model = model;

    /// <summary>Reference log-probs read from the examples themselves.</summary>
    public static ReferenceLogProbs FromData { get; } = new(null);

    /// <summary>A frozen model: its parameters stop requiring gradients and it is put in evaluation mode.</summary>
    public static ReferenceLogProbs FromModel(LlamaForCausalLM model)
    {
        foreach (var parameter in model.parameters()) parameter.requires_grad = false;
        model.eval();
        return new ReferenceLogProbs(model);
    }

    public bool UsesModel => _model is not null;

    /// <summary>Summed reference log-probs of the batch's sequences: from the model, or from <paramref name="precomputed"/>.</summary>
    public Tensor Sums(SequenceBatch batch, Func<double[]> precomputed, Device device)
    {
        if (_model is null) return tensor(precomputed(), ScalarType.Float32, device);
        using var noGrad = no_grad();
        using var scores = LogProbs.Compute(_model, batch);
        return scores.Sum.detach().clone();
    }
}
