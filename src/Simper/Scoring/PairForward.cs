using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Scoring;

/// <summary>How the chosen and rejected sequences of a micro-batch are laid out for the forward pass.</summary>
public enum PairPacking
{
    /// <summary>2B right-padded rows: B × (prompt + chosen), then B × (prompt + rejected).</summary>
    Padded,
    /// <summary>B right-padded rows [prompt | chosen | rejected]: the prompt is computed once per pair.</summary>
    SharedPrompt,
    /// <summary>The 2B sequences back to back in one row, no padding, attention per sequence.</summary>
    PaddingFree,
    /// <summary>The B pairs [prompt | chosen | rejected] back to back in one row, attention per pair.</summary>
    SharedPromptPaddingFree,
}

/// <summary>Summed response log-probabilities of a micro-batch of preference pairs; every tensor is [B].</summary>
public sealed class PairForwardScores(SequenceScores all, int pairs) : IDisposable
{
    public Tensor ChosenSum { get; } = all.Sum[..pairs];
    public Tensor RejectedSum { get; } = all.Sum[pairs..];
    public Tensor ChosenCount { get; } = all.Count[..pairs];
    public Tensor RejectedCount { get; } = all.Count[pairs..];
    /// <summary>Sum of all vocabulary logits at the scored positions (detached).</summary>
    public Tensor ChosenLogitSum { get; } = all.LogitSum[..pairs];
    public Tensor RejectedLogitSum { get; } = all.LogitSum[pairs..];
    /// <summary>Real (non-padding) tokens the model processed.</summary>
    public long Tokens { get; } = all.Tokens;
    /// <summary>Positions the model processed, padding included.</summary>
    public long Positions { get; } = all.Positions;

    public void Dispose()
    {
        foreach (var t in new[] { ChosenSum, RejectedSum, ChosenCount, RejectedCount, ChosenLogitSum, RejectedLogitSum }) t.Dispose();
        all.Dispose();
    }
}

/// <summary>Scores preference pairs under a model; every packing gives the same sums and gradients.</summary>
public static class PairForward
{
    public static PairForwardScores Score(LlamaForCausalLM model, IReadOnlyList<(int[] Prompt, int[] Chosen, int[] Rejected)> pairs, PairPacking mode, int padId)
    {
        if (pairs.Count == 0) throw new ArgumentException("cannot score an empty batch", nameof(pairs));
        var b = pairs.Count;
        var all = mode switch
        {
            PairPacking.Padded => SequenceForward.Padded(model,
                [.. pairs.Select(p => (p.Prompt, p.Chosen)), .. pairs.Select(p => (p.Prompt, p.Rejected))], padId),
            PairPacking.SharedPrompt => ScoredPositions.Padded(model, [.. pairs.Select((p, i) => PairRow(p, i, b))], 2 * b, padId),
            PairPacking.PaddingFree => ScoredPositions.Packed(model, SequencesRow(pairs), 2 * b),
            PairPacking.SharedPromptPaddingFree => ScoredPositions.Packed(model, PairsRow(pairs), 2 * b),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown pair packing"),
        };
        return new PairForwardScores(all, b);
    }

    /// <summary>Pair i's chosen response is sequence i, its rejected response sequence B + i.</summary>
    private static PackedRow PairRow((int[] Prompt, int[] Chosen, int[] Rejected) pair, int i, int b)
    {
        var row = new PackedRow();
        row.AddPair(pair.Prompt, pair.Chosen, pair.Rejected, i, b + i);
        return row;
    }

    private static PackedRow PairsRow(IReadOnlyList<(int[] Prompt, int[] Chosen, int[] Rejected)> pairs)
    {
        var row = new PackedRow();
        for (var i = 0; i < pairs.Count; i++) row.AddPair(pairs[i].Prompt, pairs[i].Chosen, pairs[i].Rejected, i, pairs.Count + i);
        return row;
    }

    private static PackedRow SequencesRow(IReadOnlyList<(int[] Prompt, int[] Chosen, int[] Rejected)> pairs)
    {
        var row = new PackedRow();
        for (var i = 0; i < pairs.Count; i++)
        {
            row.AddSequence(pairs[i].Prompt, pairs[i].Chosen, i);
            row.AddSequence(pairs[i].Prompt, pairs[i].Rejected, pairs.Count + i);
        }
        return row;
    }
}
