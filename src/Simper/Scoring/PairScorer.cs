using Simper.Distributed;
using Simper.Models;
using Simper.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Scoring;

/// <summary>Summed response log-probabilities and response lengths of preference pairs under one model, one entry per pair.</summary>
public sealed record PairScores(double[] ChosenSums, double[] RejectedSums, int[] ChosenTokens, int[] RejectedTokens)
{
    public int Count => ChosenSums.Length;

    /// <summary>
    /// The reference log-probs the pairs carry (TRL's ref_chosen_logps / ref_rejected_logps), or null when any pair
    /// lacks them; lengths are the pairs' own.
    /// </summary>
    public static PairScores? FromData(IReadOnlyList<EncodedPair> pairs)
    {
        if (pairs.Count == 0 || pairs.Any(p => p.RefChosenLogps is null || p.RefRejectedLogps is null)) return null;
        return new PairScores(pairs.Select(p => p.RefChosenLogps!.Value).ToArray(), pairs.Select(p => p.RefRejectedLogps!.Value).ToArray(),
            pairs.Select(p => p.Chosen.Length).ToArray(), pairs.Select(p => p.Rejected.Length).ToArray());
    }
}

/// <summary>Scores preference pairs without gradients: chosen and rejected responses of a micro-batch share one forward pass.</summary>
public static class PairScorer
{
    /// <summary>
    /// Summed log-probs of each pair's chosen and rejected response given its prompt. <paramref name="progress"/>
    /// receives the number of pairs scored so far (by this rank).
    /// Under several <paramref name="ranks"/>, the micro-batches — formed exactly as one process forms them — are
    /// dealt out in turn (batch b to rank b mod N) and every rank ends with all the scores, equal bit for bit to one
    /// process's: each score is computed by one rank and summed with the others' zeros.
    /// </summary>
    public static PairScores Score(LlamaForCausalLM model, IReadOnlyList<EncodedPair> pairs, int batchSize, int padId,
        IProgress<int>? progress = null, ICommunicator? ranks = null)
    {
        ranks ??= SingleProcess.Instance;
        int scored = 0;
        if (batchSize < 1) throw new SettingException($"«batch_size» {batchSize}: expected at least 1");
        var chosen = new double[pairs.Count];
        var rejected = new double[pairs.Count];
        model.eval();
        using var noGrad = torch.no_grad();
        for (var start = 0; start < pairs.Count; start += batchSize)
        {
            if (start / batchSize % ranks.Size != ranks.Rank) continue;
            using var scope = torch.NewDisposeScope();
            var batch = pairs.Skip(start).Take(batchSize).ToList();
            var rows = batch.Select(p => (p.Prompt, p.Chosen)).Concat(batch.Select(p => (p.Prompt, p.Rejected))).ToList();
            using var sequences = SequenceBatch.Collate(rows, padId, model.Device); // [2B, T]
            using var scores = LogProbs.Compute(model, sequences);
            var sums = scores.Sum.to(ScalarType.Float64).cpu().data<double>().ToArray(); // [2B]: chosen rows, then rejected
            for (var i = 0; i < batch.Count; i++)
            {
                chosen[start + i] = sums[i];
                rejected[start + i] = sums[batch.Count + i];
            }
            progress?.Report(scored += batch.Count);
        }
        ranks.AllReduceSum(chosen);
        ranks.AllReduceSum(rejected);
        return new PairScores(chosen, rejected, pairs.Select(p => p.Chosen.Length).ToArray(), pairs.Select(p => p.Rejected.Length).ToArray());
    }
}
