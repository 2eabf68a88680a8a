using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Kernels;

/// <summary>
/// Attention with Gemma's soft-capped scores, as transformers' eager attention computes it: s = q kᵀ / √D, then
/// cap · tanh(s / cap) before the mask, softmax in float32, times v. No fused kernel caps the scores, so this one
/// materialises them and lets autograd keep the graph.
/// </summary>
public static class SoftCappedAttention
{
    /// <summary>
    /// q [B, NH, T, D], k and v [B, NH, S, D] (repeated to NH heads), a boolean mask [B or 1, 1, T, S] (true = may
    /// attend) or, with none, causal masking when <paramref name="causal"/>; returns [B, NH, T, D] in q's dtype.
    /// </summary>
    public static Tensor Run(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, double cap)
    {
        using var scope = torch.NewDisposeScope();
        var scores = torch.matmul(q, k.transpose(-2, -1)).mul(1.0 / Math.Sqrt(q.size(-1))); // [B, NH, T, S]
        scores = scores.div(cap).tanh().mul(cap);
        if (mask is null && causal)
        {
            long t = q.size(-2), s = k.size(-2);
            mask = torch.ones(t, s, dtype: ScalarType.Bool, device: q.device).tril(s - t); // query i sees keys up to s − t + i
        }
        if (mask is not null) scores = scores.masked_fill(mask.logical_not(), double.NegativeInfinity);
        var wide = q.dtype is ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        var probabilities = scores.to(wide).softmax(-1).to(q.dtype);
        return torch.matmul(probabilities, v).MoveToOuterDisposeScope();
    }
}
