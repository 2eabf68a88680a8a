using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Kernels;

/// <summary>
/// Causal self-attention on the CPU, softmax(q kᵀ / √D + causal) v, as one autograd node that skips most of the
/// masked half; also attention under a mask that lets no query see a later key (sequences packed into one row, a
/// prompt shared by two responses). The queries are cut into blocks of about <see cref="BlockRows"/> rows; block j
/// attends only the keys up to its last row, so the products cover 5/8 of the full T × T scores at T = 320 (4 blocks)
/// instead of all of them, in batched GEMMs that run near the matmul peak. The forward pass keeps each block's
/// probabilities P for the backward pass, which then needs no recomputation:
/// dV = Pᵀ dO, dP = dO Vᵀ, dS = P ⊙ (dP − rowsum(dO ⊙ O)), dQ = dS K / √D, dK = dSᵀ Q / √D.
/// <para>
/// Grouped-query heads are taken as they are: the G query heads that read one key/value head are stacked into one
/// GEMM of G × rows rows against that head's keys, so k and v are never repeated and their gradients never summed
/// back over the group, which saves both the copies and the summation (docs/speed-and-memory.md has the measurements).
/// </para>
/// <para>
/// libtorch's CPU flash attention computes the same in tiles with a recomputing backward pass, far below the matmul
/// peak on short sequences. Keeping
/// P costs memory quadratic in T, about (T/2)·4 bytes a query row; <see cref="Applies"/> therefore takes it only while
/// that is at most the 4·D floats a row of q, k, v and the output already hold (T ≤ 8·D, 512 tokens at D = 64), and
/// longer sequences keep flash attention's linear memory.
/// </para>
/// </summary>
public sealed class CausalBlockAttention : KernelFunction<CausalBlockAttention>
{
    public override string Name => nameof(CausalBlockAttention);

    /// <summary>
    /// Query rows per block, about: the block count is T / 80 rounded. Smaller blocks skip more of the masked half but
    /// make GEMMs too short to run at speed; larger ones compute more of it (the measured sizes are in
    /// docs/speed-and-memory.md).
    /// </summary>
    public const int BlockRows = 80;

    /// <summary>
    /// Whether attention over q [B, NH, T, D] and k, v [B, KV, S, D] (KV dividing NH: grouped-query heads, query
    /// head h reading key/value head h / (NH / KV)) should take this node: self-attention (S = T), causal or under a
    /// mask within causal (<see cref="WithinCausal"/>), in float32 or float64 on the CPU, T ≤ 8·D. Without a backward
    /// pass to come it computes the same values without keeping anything, so a forward pass gives the same numbers
    /// with and without a graph (gradient checkpointing's first pass has none, its replay has one).
    /// </summary>
    public static bool Applies(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal)
    {
        if (q.dim() != 4 || k.dim() != 4 || !k.shape.SequenceEqual(v.shape) || k.size(0) != q.size(0) || k.size(-1) != q.size(-1)) return false;
        if (!Fits(q.dtype, q.device_type, q.size(-2), k.size(-2), q.size(-1), q.size(1), k.size(1))) return false;
        return mask is null ? causal : !causal && WithinCausal(mask, q.size(0), q.size(-2));
    }

    /// <summary>
    /// The part of <see cref="Applies"/> that reads no tensor: float32 or float64 on the CPU, self-attention over
    /// 2 ≤ T ≤ 8·D positions (S = T), KV ≥ 1 key/value heads dividing the NH query heads.
    /// </summary>
    public static bool Fits(ScalarType dtype, DeviceType device, long queryLength, long keyLength, long headDim, long heads, long kvHeads) =>
        device == DeviceType.CPU && dtype is ScalarType.Float32 or ScalarType.Float64
        && kvHeads >= 1 && heads % kvHeads == 0
        && keyLength == queryLength && queryLength >= 2 && queryLength <= 8 * headDim;

    /// <summary>
    /// Whether a boolean mask [B or 1, 1, T, T] (true = may attend) lets no query see a later key, so that the blocks'
    /// skipped keys are masked anyway, and lets every query see some key (a query that sees none keeps SDPA's answer).
    /// Packed rows with several sequences, and a shared prompt with its two responses, have such masks.
    /// </summary>
    internal static bool WithinCausal(Tensor mask, long batch, long t)
    {
        if (mask.dtype != ScalarType.Bool || mask.dim() != 4 || mask.size(1) != 1 || mask.size(2) != t || mask.size(3) != t) return false;
        if (mask.size(0) != 1 && mask.size(0) != batch) return false;
        using var scope = NewDisposeScope();
        return !mask.triu(1).any().item<bool>() && mask.any(-1).all().item<bool>();
    }

    /// <summary>
    /// q [B, NH, T, D] and k, v [B, KV, T, D] of one dtype, and a boolean <paramref name="mask"/> [B or 1, 1, T, T]
    /// (true = may attend) that <see cref="Applies"/> accepted, or null for causal masking; returns [B, NH, T, D],
    /// laid out as [B, T, NH, D] so that merging the heads back is a view.
    /// </summary>
    public static Tensor Run(Tensor q, Tensor k, Tensor v, Tensor? mask = null)
    {
        using var scope = NewDisposeScope();
        var bias = mask is null ? null : torch.zeros(mask.shape, dtype: q.dtype, device: q.device).masked_fill_(mask.logical_not(), double.NegativeInfinity);
        if (torch.is_grad_enabled() && (q.requires_grad || k.requires_grad || v.requires_grad))
            return (bias is null ? apply(q, k, v) : apply(q, k, v, bias)).MoveToOuterDisposeScope();
        return Attend(q, k, v, bias, null).MoveToOuterDisposeScope();
    }

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var (q, k, v) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2]);
        var bias = vars.Length > 3 ? (Tensor)vars[3] : null;
        using var scope = NewDisposeScope();
        var kept = new List<Tensor>();
        var output = Attend(q, k, v, bias, kept);
        // Not ctx.save_for_backward, which would keep every layer's P to the end of the backward pass.
        ctx.save_data(nameof(SavedUntilBackward), new SavedUntilBackward(kept));
        ctx.save_data(nameof(Shape), new Shape(q.size(0), q.size(1), k.size(1), q.size(2), q.size(3), bias is not null));
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The attention output [B, NH, T, D] under an additive <paramref name="bias"/> [B or 1, 1, T, T] (0 or −∞), or
    /// causal masking when it is null. With <paramref name="kept"/> it adds what the backward pass reads: q as
    /// [B·KV, T·G, D] (row t·G + g is query head kv·G + g at position t), k / √D and v as [B·KV, T, D], the output,
    /// then each block's P [B·KV, rows·G, keys].
    /// </summary>
    private static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? bias, List<Tensor>? kept)
    {
        long b = q.size(0), heads = q.size(1), t = q.size(2), d = q.size(3), kvHeads = k.size(1), g = heads / kvHeads;
        using var noGrad = torch.no_grad(); // the node's own backward pass follows, not the ops inside it
        var qs = GroupRows(q, kvHeads);                                   // [B·KV, T·G, D]
        var ks = k.reshape(b * kvHeads, t, d).mul(1.0 / Math.Sqrt(d));    // [B·KV, T, D], the scale folded in once
        var vs = v.reshape(b * kvHeads, t, d);                            // [B·KV, T, D]
        var output = torch.empty([b, t, kvHeads, g, d], dtype: q.dtype, device: q.device); // [B, T, NH, D] in memory
        kept?.AddRange([qs, ks, vs, output]);
        foreach (var (start, rows) in Blocks(t))
        {
            var keys = start + rows; // the block's last row attends keys 0 .. keys − 1
            // Each block's temporaries are freed at once rather than with the scope, so they never add up.
            using var scores = torch.bmm(qs.narrow(1, start * g, rows * g), ks.narrow(1, 0, keys).transpose(1, 2)); // [B·KV, rows·G, keys]
            if (bias is null)
            {
                // Only the block's last `rows` keys reach past some query: −∞ above each query's own position.
                using var diagonal = torch.full(rows, rows, double.NegativeInfinity, dtype: q.dtype, device: q.device).triu_(1).repeat_interleave(g, dim: 0); // [rows·G, rows]
                scores.narrow(2, start, rows).add_(diagonal);
            }
            else scores.view(b, kvHeads, rows, g, keys).add_(bias.narrow(2, start, rows).narrow(3, 0, keys).unsqueeze(3)); // [B or 1, 1, rows, 1, keys]
            var p = scores.softmax(-1);
            using (var attended = torch.bmm(p, vs.narrow(1, 0, keys))) // [B·KV, rows·G, D]
                output.narrow(1, start, rows).copy_(attended.view(b, kvHeads, rows, g, d).permute(0, 2, 1, 3, 4));
            if (kept is null) p.Dispose();
            else kept.Add(p);
        }
        return output.view(b, t, heads, d).transpose(1, 2);
    }

    protected override List<Tensor?> Gradients(AutogradContext ctx, Tensor gradOutput)
    {
        var shape = (Shape)ctx.get_data(nameof(Shape));
        var (b, kvHeads, t, d, g) = (shape.B, shape.KvHeads, shape.T, shape.D, shape.Heads / shape.KvHeads);
        using var saved = (SavedUntilBackward)ctx.get_data(nameof(SavedUntilBackward));
        var (q, k, v, output) = (saved.Tensors[0], saved.Tensors[1], saved.Tensors[2], saved.Tensors[3]);
        var dO = GroupRows(gradOutput, kvHeads);                          // [B·KV, T·G, D]
        // rowsum(P ⊙ dP) = rowsum(dO ⊙ O), one product over [T, D] rather than over every block's [rows, keys].
        var outputRows = output.view(b, t, shape.Heads, d).transpose(1, 2);
        var rowSums = (gradOutput * outputRows).sum(-1).view(b, kvHeads, g, t).permute(0, 1, 3, 2).reshape(b * kvHeads, t * g, 1); // [B·KV, T·G, 1]
        var dQ = torch.empty([b, t, kvHeads, g, d], dtype: q.dtype, device: q.device); // [B, T, NH, D] in memory
        var dK = torch.zeros_like(k);
        var dV = torch.zeros_like(v);
        var block = 0;
        foreach (var (start, rows) in Blocks(t))
        {
            var keys = start + rows;
            using var p = saved.Tensors[4 + block++];    // [B·KV, rows·G, keys], freed once used
            var dOBlock = dO.narrow(1, start * g, rows * g); // [B·KV, rows·G, D]
            using (var dVBlock = torch.bmm(p.transpose(1, 2), dOBlock)) dV.narrow(1, 0, keys).add_(dVBlock);
            using var dS = torch.bmm(dOBlock, v.narrow(1, 0, keys).transpose(1, 2)); // [B·KV, rows·G, keys]: dP, made dS in place
            dS.sub_(rowSums.narrow(1, start * g, rows * g)).mul_(p);
            using (var dQBlock = torch.bmm(dS, k.narrow(1, 0, keys))) // k holds the 1/√D already
                dQ.narrow(1, start, rows).copy_(dQBlock.view(b, kvHeads, rows, g, d).permute(0, 2, 1, 3, 4));
            using (var dKBlock = torch.bmm(dS.transpose(1, 2), q.narrow(1, start * g, rows * g))) dK.narrow(1, 0, keys).add_(dKBlock);
        }
        return
        [
            dQ.view(b, t, shape.Heads, d).transpose(1, 2),
            dK.mul_(1.0 / Math.Sqrt(d)).view(b, kvHeads, t, d),
            dV.view(b, kvHeads, t, d),
            .. (shape.Masked ? new Tensor?[] { null } : []), // the mask's bias
        ];
    }

    /// <summary>
    /// [B, KV·G, T, D] as [B·KV, T·G, D]: the G query heads of each key/value head stacked position by position, so a
    /// block of positions is one run of rows. One copy, whatever the input's layout.
    /// </summary>
    private static Tensor GroupRows(Tensor x, long kvHeads)
    {
        long b = x.size(0), heads = x.size(1), t = x.size(2), d = x.size(3);
        return x.view(b, kvHeads, heads / kvHeads, t, d).permute(0, 1, 3, 2, 4).reshape(b * kvHeads, t * (heads / kvHeads), d);
    }

    /// <summary>(first row, rows) of each query block: T / <see cref="BlockRows"/> blocks, rounded, at least one, sizes within one row.</summary>
    internal static IEnumerable<(long Start, long Rows)> Blocks(long t)
    {
        var count = Math.Max(1, (long)Math.Round((double)t / BlockRows));
        for (long i = 0; i < count; i++)
        {
            long start = t * i / count, end = t * (i + 1) / count;
            yield return (start, end - start);
        }
    }

    private sealed record Shape(long B, long Heads, long KvHeads, long T, long D, bool Masked);
}
