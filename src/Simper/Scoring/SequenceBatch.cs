using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Scoring;

/// <summary>
/// Prompt+response sequences right-padded to one length. All tensors are int64 [B, T]:
/// InputIds (padding = padId), AttentionMask (1 = real token), ResponseMask (1 = response token, the ones scored).
/// </summary>
public sealed class SequenceBatch(Tensor inputIds, Tensor attentionMask, Tensor responseMask) : IDisposable
{
    public Tensor InputIds { get; } = inputIds;
    public Tensor AttentionMask { get; } = attentionMask;
    public Tensor ResponseMask { get; } = responseMask;

    public long BatchSize => InputIds.size(0);
    public long Length => InputIds.size(1);

    /// <summary>Concatenates each prompt with its response and right-pads all rows to the longest.</summary>
    public static SequenceBatch Collate(IReadOnlyList<(int[] Prompt, int[] Response)> rows, int padId, Device device)
    {
        if (rows.Count == 0) throw new ArgumentException("cannot collate an empty batch", nameof(rows));
        var length = rows.Max(r => r.Prompt.Length + r.Response.Length);
        var ids = new long[rows.Count * length];
        var attention = new long[ids.Length];
        var response = new long[ids.Length];
        Array.Fill(ids, padId);
        for (var b = 0; b < rows.Count; b++)
        {
            var (prompt, completion) = rows[b];
            var row = b * length;
            for (var t = 0; t < prompt.Length; t++) (ids[row + t], attention[row + t]) = (prompt[t], 1);
            for (var t = 0; t < completion.Length; t++)
            {
                var at = row + prompt.Length + t;
                (ids[at], attention[at], response[at]) = (completion[t], 1, 1);
            }
        }
        long[] shape = [rows.Count, length];
        return new SequenceBatch(
            torch.tensor(ids, shape, device: device),
            torch.tensor(attention, shape, device: device),
            torch.tensor(response, shape, device: device));
    }

    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        ResponseMask.Dispose();
    }
}
