using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>Builds the boolean [B, 1, T, S] masks (true = may attend) that scaled_dot_product_attention takes.</summary>
public static class AttentionMasks
{
    /// <summary>
    /// The mask for <paramref name="queryLength"/> new positions after <paramref name="pastLength"/> cached ones.
    /// <paramref name="attentionMask"/> is null, a 2-D padding mask [B, S] (1 = real token, S = past + T) or a 4-D
    /// boolean mask [B, 1, T, S] used as given. Returns null when plain causal attention from position 0 suffices (no
    /// padding mask, or a right-padded one without cached positions, see <see cref="RightPadded"/>)
    /// (SDPA's is_causal flag then does the masking without materialising anything).
    /// </summary>
    public static Tensor? For(Tensor? attentionMask, long queryLength, long pastLength, Device device)
    {
        if (attentionMask is not null && attentionMask.dim() == 4) return attentionMask.to(ScalarType.Bool);
        var keyLength = pastLength + queryLength;
        if (attentionMask is null)
            return pastLength == 0 ? null : Causal(queryLength, pastLength, device).unsqueeze(0).unsqueeze(0);
        if (attentionMask.dim() != 2 || attentionMask.size(1) != keyLength)
            throw new ArgumentException($"attention mask has shape [{string.Join(", ", attentionMask.shape)}]; expected [B, {keyLength}] or [B, 1, {queryLength}, {keyLength}]");

        if (pastLength == 0 && RightPadded(attentionMask)) return null;

        using var scope = torch.NewDisposeScope();
        var causal = Causal(queryLength, pastLength, device); // [T, S]
        var realKeys = attentionMask.to(ScalarType.Bool).unsqueeze(1).unsqueeze(1); // [B, 1, 1, S]
        var allowed = causal.unsqueeze(0).unsqueeze(0).logical_and(realKeys); // [B, 1, T, S]
        // Every query may see itself: a padding query would otherwise see nothing, and its NaN output would leak
        // into later layers through its (masked but multiplied) value row.
        var self = Diagonal(queryLength, pastLength, device).unsqueeze(0).unsqueeze(0);
        return allowed.logical_or(self).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Whether every row of a 2-D padding mask [B, T] has its real tokens first (training batches are right-padded).
    /// Plain causal attention is then exact at every real position, since a real query sees only earlier keys, all
    /// real; so no mask is built and the attention can take its causal kernels (SDPA's is_causal, or
    /// <see cref="Kernels.CausalBlockAttention"/> in training). A padding position then also sees the padding before it,
    /// where the mask would show it the real tokens and itself: its values differ, but no real position reads them
    /// and no loss scores them.
    /// </summary>
    private static bool RightPadded(Tensor attentionMask)
    {
        using var scope = torch.NewDisposeScope();
        var real = attentionMask.to(ScalarType.Bool); // [B, T]
        return real.size(1) < 2 || !real[.., 1..].logical_and(real[.., ..^1].logical_not()).any().item<bool>();
    }

    /// <summary>
    /// <paramref name="mask"/> (as <see cref="For"/> returns it; null for causal) cut to a sliding window: a query
    /// also sees only keys fewer than <paramref name="window"/> positions back. Distances are those of
    /// <paramref name="positionIds"/> [B, T] without a cache, so sequences packed into one row (positions
    /// restarting) and a response placed after another one sharing its prompt measure from their own starts; after
    /// cached positions they are the keys' indices, as transformers measures them. Returns [B or 1, 1, T, S].
    /// </summary>
    public static Tensor Windowed(Tensor? mask, Tensor positionIds, long queryLength, long pastLength, long window)
    {
        using var scope = torch.NewDisposeScope();
        var device = positionIds.device;
        var distance = pastLength == 0
            ? (positionIds.unsqueeze(-1) - positionIds.unsqueeze(-2)).unsqueeze(1) // [B, 1, T, T]
            : (torch.arange(queryLength, device: device).unsqueeze(1) + pastLength
               - torch.arange(pastLength + queryLength, device: device).unsqueeze(0)).unsqueeze(0).unsqueeze(0); // [1, 1, T, S]
        var allowed = mask ?? Causal(queryLength, pastLength, device).unsqueeze(0).unsqueeze(0);
        return allowed.logical_and(distance.lt(window)).MoveToOuterDisposeScope();
    }

    /// <summary>[T, S]: query i (at absolute position past + i) may see keys j &lt;= past + i.</summary>
    private static Tensor Causal(long queryLength, long pastLength, Device device)
    {
        using var rows = torch.arange(queryLength, device: device).unsqueeze(1) + pastLength; // [T, 1]
        using var cols = torch.arange(pastLength + queryLength, device: device).unsqueeze(0); // [1, S]
        return cols.le(rows);
    }

    private static Tensor Diagonal(long queryLength, long pastLength, Device device)
    {
        using var rows = torch.arange(queryLength, device: device).unsqueeze(1) + pastLength;
        using var cols = torch.arange(pastLength + queryLength, device: device).unsqueeze(0);
        return cols.eq(rows);
    }
}
