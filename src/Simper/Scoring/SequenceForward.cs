using Simper.Models;
using TorchSharp;

namespace Simper.Scoring;

/// <summary>Scores single (prompt, response) rows, as supervised fine-tuning and unpaired methods need.</summary>
public static class SequenceForward
{
    /// <summary>
    /// Per-row response scores [rows]. <paramref name="packed"/>: all rows in one padding-free packed row with
    /// attention per row; otherwise one right-padded batch (<paramref name="padId"/> fills it).
    /// </summary>
    public static SequenceScores Score(LlamaForCausalLM model, IReadOnlyList<(int[] Prompt, int[] Response)> rows, bool packed, int padId)
    {
        if (rows.Count == 0) throw new ArgumentException("cannot score an empty batch", nameof(rows));
        if (!packed) return Padded(model, rows, padId);
        var row = new PackedRow();
        for (var i = 0; i < rows.Count; i++) row.AddSequence(rows[i].Prompt, rows[i].Response, i);
        return ScoredPositions.Packed(model, row, rows.Count);
    }

    /// <summary>The right-padded batch of <see cref="LogProbs.Compute"/>.</summary>
    internal static SequenceScores Padded(LlamaForCausalLM model, IReadOnlyList<(int[] Prompt, int[] Response)> rows, int padId)
    {
        using var batch = SequenceBatch.Collate(rows, padId, model.Device);
        var scores = LogProbs.Compute(model, batch);
        scores.PerToken.Dispose();
        var tokens = rows.Sum(r => (long)r.Prompt.Length + r.Response.Length);
        return new SequenceScores(scores.Sum, scores.Count, scores.LogitSum, tokens, batch.BatchSize * batch.Length);
    }
}
