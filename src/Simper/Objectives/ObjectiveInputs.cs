using static TorchSharp.torch;

namespace Simper.Objectives;

/// <summary>
/// Summed response log-probabilities of one model over a batch of B preference pairs, and the response token
/// counts (EOS included). All four tensors are [B]; counts may be integer or floating and are cast to the sums' dtype.
/// </summary>
public sealed record PairLogProbs(Tensor ChosenSum, Tensor RejectedSum, Tensor ChosenCount, Tensor RejectedCount)
{
    /// <summary>Per-token mean log-prob of each chosen response, m_w = S_w / |y_w|. [B]</summary>
    public Tensor ChosenMean() => ChosenSum / ChosenCount.to_type(ChosenSum.dtype);

    /// <summary>Per-token mean log-prob of each rejected response, m_l = S_l / |y_l|. [B]</summary>
    public Tensor RejectedMean() => RejectedSum / RejectedCount.to_type(RejectedSum.dtype);

    /// <summary>
    /// Negative log-likelihood of the chosen responses as the mean over pairs of each pair's per-token mean,
    /// −mean_i(S_w,i / |y_w,i|), so every pair weighs the same whatever its length. Scalar.
    /// </summary>
    public Tensor ChosenNll() => -ChosenMean().mean();
}

/// <summary>
/// Summed log-probabilities of one model over B unpaired completions. <see cref="MismatchedSum"/> scores each
/// prompt i with another example's completion (see <see cref="KtoObjective.MismatchedOrder"/>) and feeds
/// the KL estimate. Both [B].
/// </summary>
public sealed record UnpairedLogProbs(Tensor CompletionSum, Tensor MismatchedSum);

/// <summary>What a trainer hands an objective: pairs (<see cref="PairedInputs"/>) or labelled completions (<see cref="UnpairedInputs"/>).</summary>
public abstract record ObjectiveInputs;

/// <summary>Paired chosen/rejected log-probs; <paramref name="Reference"/> is null for reference-free objectives.</summary>
public sealed record PairedInputs(PairLogProbs Policy, PairLogProbs? Reference = null) : ObjectiveInputs;

/// <summary>Unpaired completions; <paramref name="Desirable"/> is a [B] bool tensor (true = desirable).</summary>
public sealed record UnpairedInputs(UnpairedLogProbs Policy, UnpairedLogProbs Reference, Tensor Desirable) : ObjectiveInputs;
