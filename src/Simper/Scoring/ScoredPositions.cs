using Simper.Kernels;
using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Scoring;

/// <summary>Runs packed rows through the model and sums the log-probabilities of their scored tokens per sequence.</summary>
internal static class ScoredPositions
{
    /// <summary>One packed row [1, N]: linear layers on the N tokens, attention per block.</summary>
    public static SequenceScores Packed(LlamaForCausalLM model, PackedRow row, int sequences)
    {
        using var scope = torch.NewDisposeScope();
        var device = model.Device;
        var ids = torch.tensor(row.Ids.ToArray(), [1, row.Length], device: device);             // [1, N]
        var positions = torch.tensor(row.Positions.ToArray(), [1, row.Length], device: device); // [1, N]
        var hidden = model.HiddenStates(ids, positions, packed: new PackedAttention(row.Blocks)); // [1, N, H]
        return Score(model, hidden, row.Scored, sequences, row.Length, row.Length);
    }

    /// <summary>Rows right-padded to one length T, each attending by its blocks through a dense [R, 1, T, T] mask.</summary>
    public static SequenceScores Padded(LlamaForCausalLM model, IReadOnlyList<PackedRow> rows, int sequences, int padId)
    {
        using var scope = torch.NewDisposeScope();
        var device = model.Device;
        var T = rows.Max(r => r.Length);
        var ids = new long[rows.Count * T];
        var positions = new long[ids.Length];
        Array.Fill(ids, padId);
        for (var r = 0; r < rows.Count; r++)
        {
            rows[r].Ids.ToArray().CopyTo(ids, r * T);
            rows[r].Positions.ToArray().CopyTo(positions, r * T);
        }
        var mask = torch.stack(rows.Select(r => new PackedAttention(r.Blocks).DenseMask(T, device))).unsqueeze(1); // [R, 1, T, T]
        var hidden = model.HiddenStates(
            torch.tensor(ids, [rows.Count, T], device: device),
            torch.tensor(positions, [rows.Count, T], device: device),
            mask); // [R, T, H]
        var scored = rows.SelectMany((row, r) => row.Scored.Select(s => s with { From = r * T + s.From })).ToList();
        return Score(model, hidden, scored, sequences, rows.Sum(r => (long)r.Length), (long)rows.Count * T);
    }

    /// <summary>Sums the <see cref="TargetLogProbs"/> of the scored positions per sequence.</summary>
    private static SequenceScores Score(LlamaForCausalLM model, Tensor hidden, IReadOnlyList<ScoredToken> scored, int sequences, long tokens, long positions)
    {
        var device = model.Device;
        var scoreType = TargetLogProbs.ScoreType(model);
        var from = torch.tensor(scored.Select(s => s.From).ToArray(), device: device);     // [M]
        var target = torch.tensor(scored.Select(s => s.Target).ToArray(), device: device); // [M]
        var owner = torch.tensor(scored.Select(s => (long)s.Owner).ToArray(), device: device); // [M]
        var predicting = hidden.reshape(-1, hidden.size(-1)).index_select(0, from);        // [M, H]
        var (perToken, logitSums) = TargetLogProbs.Compute(model, predicting, target);      // [M] each
        var sum = torch.zeros(sequences, dtype: scoreType, device: device).index_add(0, owner, perToken, 1); // [S]

        var counts = new double[sequences];
        foreach (var s in scored) counts[s.Owner]++;
        var count = torch.tensor(counts, device: device).to(scoreType); // [S]
        Tensor logitSum;
        using (torch.no_grad()) logitSum = torch.zeros(sequences, dtype: scoreType, device: device).index_add(0, owner, logitSums, 1); // [S]
        return new SequenceScores(sum.MoveToOuterDisposeScope(), count.MoveToOuterDisposeScope(), logitSum.MoveToOuterDisposeScope(), tokens, positions);
    }
}
