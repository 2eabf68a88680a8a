using Simper.Lora;
using Simper.Models;
using Simper.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Training.Losses;

/// <summary>
/// Where reference log-probs come from: the precomputed dataset fields (TRL's <c>ref_chosen_logps</c> /
/// <c>ref_rejected_logps</c>) when every example has them, a frozen reference model, or — for a policy trained with
/// LoRA — the policy itself with its adapters bypassed, which is exactly the starting model without a second copy.
/// Model scoring runs without gradients.
/// </summary>
public sealed class ReferenceLogProbs
{
    private readonly LlamaForCausalLM? _model;
    private readonly bool _policyBase;

    private ReferenceLogProbs(LlamaForCausalLM? model, bool policyBase) => (_model, _policyBase) = (model, policyBase);

    /// <summary>Reference log-probs read from the examples themselves.</summary>
    public static ReferenceLogProbs FromData { get; } = new(null, false);

    /// <summary>The policy's base model: the policy scored inside <see cref="LoraModel.DisableAdapters"/>.</summary>
    public static ReferenceLogProbs FromPolicyBase { get; } = new(null, true);

    /// <summary>A frozen model: its parameters stop requiring gradients and it is put in evaluation mode.</summary>
    public static ReferenceLogProbs FromModel(LlamaForCausalLM model)
    {
        foreach (var parameter in model.parameters()) parameter.requires_grad = false;
        model.eval();
        return new ReferenceLogProbs(model, false);
    }

    public bool UsesModel => _model is not null || _policyBase;

    /// <summary>
    /// Summed reference log-probs of the pairs' responses [2B]: chosen responses, then rejected ones; from the model,
    /// or from <paramref name="precomputed"/> in the same order.
    /// </summary>
    public Tensor PairSums(LlamaForCausalLM policy, IReadOnlyList<(int[] Prompt, int[] Chosen, int[] Rejected)> pairs,
        PairPacking packing, int padId, Func<double[]> precomputed) =>
        Score(policy, precomputed, model =>
        {
            using var scores = PairForward.Score(model, pairs, packing, padId);
            return cat([scores.ChosenSum, scores.RejectedSum]);
        });

    /// <summary>Summed reference log-probs of single (prompt, response) rows [rows], packed or right-padded.</summary>
    public Tensor SequenceSums(LlamaForCausalLM policy, IReadOnlyList<(int[] Prompt, int[] Response)> rows, bool paddingFree,
        int padId, Func<double[]> precomputed) =>
        Score(policy, precomputed, model =>
        {
            using var scores = SequenceForward.Score(model, rows, paddingFree, padId);
            return scores.Sum.detach().clone();
        });

    private Tensor Score(LlamaForCausalLM policy, Func<double[]> precomputed, Func<LlamaForCausalLM, Tensor> score)
    {
        if (!UsesModel) return tensor(precomputed(), ScalarType.Float32, policy.Device);
        using var noGrad = no_grad();
        if (_model is not null) return score(_model);
        using var bypass = LoraModel.DisableAdapters(policy);
        return score(policy);
    }
}
