using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Simper.Kernels;

/// <summary>Which kernel a projection runs (see <see cref="KernelDispatch.ChooseLinear"/>).</summary>
public enum LinearKernel
{
    /// <summary>nn.functional.linear in the weight's own dtype.</summary>
    Native,
    /// <summary><see cref="LinearFunction"/> multiplying 16-bit operands in float32.</summary>
    Float32,
    /// <summary><see cref="LinearFunction"/> with its forward GEMM skipped: a replay whose output nothing reads.</summary>
    OutputUnset,
    /// <summary><see cref="MergedLoraProjection"/>: the frozen base and its adapter in one GEMM.</summary>
    MergedLora,
    /// <summary><see cref="MergedLoraProjection"/> with its forward GEMM skipped.</summary>
    MergedLoraOutputUnset,
}

/// <summary>Which kernel an attention call runs (see <see cref="KernelDispatch.ChooseAttention"/>).</summary>
public enum AttentionKernel
{
    /// <summary><see cref="CausalBlockAttention"/>.</summary>
    CausalBlock,
    /// <summary>libtorch's scaled_dot_product_attention in the inputs' dtype.</summary>
    Sdpa,
    /// <summary>SDPA in float32 through autograd's own graph (<see cref="WidenedAttention.WithFloat32Graph"/>).</summary>
    Float32Graph,
    /// <summary><see cref="WidenedAttention"/>: float32 attention recomputed in the backward pass.</summary>
    Float32Recompute,
    /// <summary><see cref="SoftCappedAttention"/>: Gemma's soft-capped scores, which no fused kernel computes.</summary>
    SoftCapped,
}

/// <summary>Which keys the queries of an attention call see.</summary>
public enum MaskKind
{
    /// <summary>Every key (no mask, no causality): one query decoding after its cache.</summary>
    None,
    /// <summary>Each query the keys up to its own position, with no mask tensor.</summary>
    Causal,
    /// <summary>A mask that lets no query see a later key and every query some key (packed rows, shared prompts).</summary>
    WithinCausal,
    /// <summary>Any other mask (a padded batch after a cache, or a left-padded one).</summary>
    Other,
    /// <summary>
    /// A sliding window cut into a causal or within-causal mask: no query sees a later key or one a window or more
    /// back, every query sees itself. Known by construction, so no pass over the mask checks it.
    /// </summary>
    Window,
}

/// <summary>Which kernel rotates q and k (see <see cref="KernelDispatch.ChooseRotary"/>).</summary>
public enum RotaryKernel
{
    /// <summary><see cref="RotaryFunction"/>.</summary>
    Fused,
    /// <summary>transformers' expression, op by op (<see cref="RotaryFunction.Expression"/>).</summary>
    Expression,
}

/// <summary>How the output head scores targets (see <see cref="KernelDispatch.ChooseHead"/>).</summary>
public enum HeadKernel
{
    /// <summary>All logits [M, V] at once, through autograd.</summary>
    Dense,
    /// <summary><see cref="HeadCheckpoint"/> with a trained head: chunks recomputed in the backward pass.</summary>
    ChunkedRecompute,
    /// <summary><see cref="HeadCheckpoint"/> with a frozen head: the hidden states' gradient kept in closed form.</summary>
    ChunkedFrozen,
}

/// <summary>A projection as <see cref="KernelDispatch.ChooseLinear"/> reads it.</summary>
/// <param name="WeightType">the base weight's dtype</param>
/// <param name="Device">where it lives</param>
/// <param name="BaseTrains">whether the base weight or bias gets a gradient</param>
/// <param name="AdapterType">the dtype of an enabled LoRA adapter, or null for none</param>
/// <param name="AdapterDropout">whether that adapter applies dropout to its input (training with dropout &gt; 0)</param>
/// <param name="FeedsResidual">whether only the float32 residual stream reads the output (o_proj, down_proj)</param>
public readonly record struct LinearCase(ScalarType WeightType, DeviceType Device, bool BaseTrains = true,
    ScalarType? AdapterType = null, bool AdapterDropout = false, bool FeedsResidual = false);

/// <summary>
/// An attention call as <see cref="KernelDispatch.ChooseAttention"/> reads it: q [B, NH, T, D], k and v [B, KV, S, D];
/// <paramref name="SoftCapped"/>: the scores are soft-capped (Gemma).
/// </summary>
public readonly record struct AttentionCase(ScalarType Dtype, DeviceType Device, MaskKind Mask, long QueryLength, long KeyLength,
    long HeadDim, long Heads, long KvHeads, bool NeedsGrad, bool SoftCapped = false);

/// <summary>A LoRA adapter's operands: A [r, in], B [out, r], the scale alpha / r, and dropout on its input if any.</summary>
public sealed record LowRankAdapter(Tensor A, Tensor B, double Scale, Dropout? Dropout);

/// <summary>
/// The one place that decides which kernel an operation runs. Each <c>Choose…</c> method maps explicit arguments
/// (dtype, device, mask kind, lengths, gradients, the model's <see cref="KernelOptions"/>, gradient checkpointing's
/// replay) to a kernel; each operation method reads those arguments off its tensors, asks, and runs the kernel. The
/// modules make one call per operation and choose nothing themselves.
/// </summary>
public static class KernelDispatch
{
    /// <summary>Whether a projection of 16-bit weights multiplies in float32: always for float16 on the CPU, for bfloat16 unless native GEMMs are chosen.</summary>
    public static bool MultipliesInFloat32(ScalarType weightType, DeviceType device, KernelOptions options) =>
        weightType is ScalarType.BFloat16 or ScalarType.Float16 && device == DeviceType.CPU
        && !(weightType == ScalarType.BFloat16 && options.NativeBfloat16Gemms);

    public static LinearKernel ChooseLinear(LinearCase c, KernelOptions options, bool replay)
    {
        var inFloat32 = MultipliesInFloat32(c.WeightType, c.Device, options);
        // The replay skips the products whose output only the residual stream reads: the layer's saved attention
        // residual stands for o_proj's, and nothing reads down_proj's.
        var outputUnread = replay && c.FeedsResidual;
        if (c.AdapterType is { } adapterType)
        {
            // Merged: no dropout between x and A, a frozen base, and one compute dtype for base and adapter. A 16-bit
            // base with native GEMMs keeps its native GEMM and adds the adapter beside it, as PEFT does.
            var merges = !c.AdapterDropout && !c.BaseTrains && (c.WeightType == adapterType || inFloat32);
            if (merges) return outputUnread ? LinearKernel.MergedLoraOutputUnset : LinearKernel.MergedLora;
            return inFloat32 ? LinearKernel.Float32 : LinearKernel.Native;
        }
        if (outputUnread) return LinearKernel.OutputUnset;
        return inFloat32 ? LinearKernel.Float32 : LinearKernel.Native;
    }

    /// <summary>
    /// y = x Wᵀ + b (+ the adapter's (alpha / r) · B A (dropout(x))) for rows [N, in]; returns [N, out]. With
    /// <paramref name="feedsResidual"/> a float32 product of 16-bit weights is returned unrounded (its only reader is
    /// the float32 residual stream; rounding would cost precision and save nothing, since no node keeps it).
    /// </summary>
    public static Tensor Linear(Tensor rows, Tensor weight, Tensor? bias, LowRankAdapter? adapter, bool feedsResidual, KernelCall call)
    {
        var baseTrains = weight.requires_grad || bias is { requires_grad: true };
        var kernel = ChooseLinear(new LinearCase(weight.dtype, weight.device_type, baseTrains, adapter?.A.dtype,
            adapter?.Dropout is { training: true }, feedsResidual), call.Options, call.Replay);
        var computeType = MultipliesInFloat32(weight.dtype, weight.device_type, call.Options) ? ScalarType.Float32 : weight.dtype;
        var result = kernel switch
        {
            LinearKernel.MergedLora or LinearKernel.MergedLoraOutputUnset => MergedLoraProjection.Run(rows, weight, bias, adapter!.A, adapter.B,
                adapter.Scale, computeOutput: kernel == LinearKernel.MergedLora, wideOutput: feedsResidual),
            LinearKernel.OutputUnset => LinearFunction.Run(rows, weight, bias, computeType, computeOutput: false, wideOutput: feedsResidual),
            LinearKernel.Float32 => LinearFunction.Run(rows, weight, bias, computeType, wideOutput: feedsResidual),
            _ => nn.functional.linear(rows, weight, bias),
        };
        if (adapter is null || kernel is LinearKernel.MergedLora or LinearKernel.MergedLoraOutputUnset) return result;
        return AddAdapter(result, rows, adapter);
    }

    /// <summary>
    /// result + (alpha / r) · B A (dropout(rows)), as PEFT: the input cast to the adapter's dtype and the update added
    /// at that precision, as one accumulating GEMM (no [N, out] temporary for the update). In place is safe because
    /// the base projection's backward needs only its inputs, not its output.
    /// </summary>
    private static Tensor AddAdapter(Tensor result, Tensor rows, LowRankAdapter adapter)
    {
        var adapterType = adapter.A.dtype;
        var input = rows.dtype == adapterType ? rows : rows.to(adapterType);
        if (adapter.Dropout is not null) input = adapter.Dropout.forward(input); // identity in eval mode
        var down = nn.functional.linear(input, adapter.A); // [N, r]
        var sum = result.dtype == adapterType ? result : result.to(adapterType);
        sum.addmm_(down, adapter.B.t(), beta: 1, alpha: (float)adapter.Scale);
        return sum.dtype == result.dtype ? sum : sum.to(result.dtype);
    }

    /// <summary>The output head hidden [..., H] → logits [..., V], in the weight's dtype (16-bit on the CPU: multiplied in float32).</summary>
    public static Tensor Logits(Tensor hidden, Tensor weight, KernelOptions options, double? softCap = null)
    {
        var kernel = ChooseLinear(new LinearCase(weight.dtype, weight.device_type), options, replay: false);
        if (kernel != LinearKernel.Float32) return HeadCheckpoint.SoftCapped(nn.functional.linear(hidden, weight), softCap);
        using var rows = hidden.reshape(-1, hidden.size(-1));                           // [N, H]
        using var logits = LinearFunction.Run(rows, weight, null, ScalarType.Float32); // [N, V]
        return HeadCheckpoint.SoftCapped(logits.view([.. hidden.shape[..^1], weight.size(0)]), softCap);
    }

    public static AttentionKernel ChooseAttention(AttentionCase c, KernelOptions options, bool replay)
    {
        if (c.SoftCapped) return AttentionKernel.SoftCapped;
        if (c.Mask is MaskKind.Causal or MaskKind.WithinCausal or MaskKind.Window
            && CausalBlockAttention.Fits(c.Dtype, c.Device, c.QueryLength, c.KeyLength, c.HeadDim, c.Heads, c.KvHeads))
            return AttentionKernel.CausalBlock;
        var nativeBfloat16 = c.Dtype == ScalarType.BFloat16 && options.NativeBfloat16Attention;
        if (c.Dtype is not (ScalarType.BFloat16 or ScalarType.Float16) || c.Device != DeviceType.CPU || nativeBfloat16)
            return AttentionKernel.Sdpa;
        // No backward pass to prepare for, or one that follows at once (the replay): autograd keeps the float32 graph.
        return !c.NeedsGrad || replay ? AttentionKernel.Float32Graph : AttentionKernel.Float32Recompute;
    }

    /// <summary>
    /// A layer's self-attention: q [B, NH, T, D], k and v [B, KV, S, D] (KV dividing NH: query head h reads key/value
    /// head h / (NH / KV), as transformers' repeat_kv). A packed row attends through <paramref name="packed"/>; else
    /// a boolean <paramref name="mask"/> [B or 1, 1, T, S] (true = may attend), or causal masking from position 0
    /// when it is null; <paramref name="windowed"/> says that mask or layout cuts a sliding window. Returns [B, NH, T, D].
    /// </summary>
    public static Tensor SelfAttention(Tensor q, Tensor k, Tensor v, Tensor? mask, PackedAttention? packed, KernelCall call, bool windowed = false,
        double? softCap = null) =>
        packed?.Attend(q, k, v, call, softCap) ?? Attention(q, k, v, mask, causal: mask is null && q.size(2) > 1, call, windowed && mask is not null, softCap);

    /// <summary>
    /// Attention over q [B, NH, T, D] and k, v [B, KV, S, D] under a boolean <paramref name="mask"/> or, with none,
    /// SDPA's <paramref name="causal"/> flag; <paramref name="window"/>: the mask is a sliding window's
    /// (<see cref="MaskKind.Window"/>). <see cref="CausalBlockAttention"/> reads grouped heads in place; the other
    /// kernels get k and v repeated to NH heads first.
    /// </summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, KernelCall call, bool window = false, double? softCap = null)
    {
        var needsGrad = torch.is_grad_enabled() && (q.requires_grad || k.requires_grad || v.requires_grad);
        // Soft-capped scores take their own kernel whatever the mask, so no pass over the mask asks what it is.
        var kind = window ? MaskKind.Window
            : softCap is null ? Kind(q, k, mask, causal)
            : mask is not null ? MaskKind.Other : causal ? MaskKind.Causal : MaskKind.None;
        var c = new AttentionCase(q.dtype, q.device_type, kind, q.size(2), k.size(2), q.size(3), q.size(1), k.size(1), needsGrad, softCap is not null);
        var kernel = ChooseAttention(c, call.Options, call.Replay);
        if (kernel == AttentionKernel.CausalBlock) return CausalBlockAttention.Run(q, k, v, mask);
        var groups = q.size(1) / k.size(1);
        if (groups > 1) (k, v) = (k.repeat_interleave(groups, dim: 1), v.repeat_interleave(groups, dim: 1)); // [B, NH, S, D], freed with the caller's scope
        return kernel switch
        {
            AttentionKernel.Sdpa => nn.functional.scaled_dot_product_attention(q, k, v, mask, is_casual: causal),
            AttentionKernel.SoftCapped => SoftCappedAttention.Run(q, k, v, mask, causal, softCap!.Value),
            AttentionKernel.Float32Graph => WidenedAttention.WithFloat32Graph(q, k, v, mask, causal),
            _ => WidenedAttention.Run(q, k, v, mask, causal),
        };
    }

    /// <summary>
    /// The mask's kind. Whether a mask lies within causal takes a pass over it, made only where the block attention
    /// could take it.
    /// </summary>
    private static MaskKind Kind(Tensor q, Tensor k, Tensor? mask, bool causal)
    {
        if (mask is null) return causal ? MaskKind.Causal : MaskKind.None;
        var blockMayTake = !causal && CausalBlockAttention.Fits(q.dtype, q.device_type, q.size(2), k.size(2), q.size(3), q.size(1), k.size(1));
        return blockMayTake && CausalBlockAttention.WithinCausal(mask, q.size(0), q.size(2)) ? MaskKind.WithinCausal : MaskKind.Other;
    }

    /// <summary>RMS norm of x [..., H] with gain weight [H], returned in <paramref name="outputType"/>: always the fused node.</summary>
    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps, ScalarType outputType) => RmsNormFunction.Run(x, weight, eps, outputType);

    /// <summary>
    /// float32 and float64 go through one autograd node; 16-bit x keeps transformers' expression, rounding each product
    /// and the sum as it does.
    /// </summary>
    public static RotaryKernel ChooseRotary(ScalarType dtype) =>
        dtype is ScalarType.Float32 or ScalarType.Float64 ? RotaryKernel.Fused : RotaryKernel.Expression;

    /// <summary>Rotates x [B, heads, T, D] by the tables cos, sin [B, 1, T, D].</summary>
    public static Tensor Rotary(Tensor x, Tensor cos, Tensor sin) => ChooseRotary(x.dtype) == RotaryKernel.Fused
        ? RotaryFunction.Run(x, cos, sin)
        : RotaryFunction.Expression(x, cos, sin);

    /// <summary>
    /// With gradient checkpointing on, or a frozen head, the head runs in chunks of positions and keeps no logits for
    /// the backward pass (a frozen head keeps d log p / d hidden [M, H] instead of the [M, V] logits, which is less
    /// memory and less work in the backward pass); values and gradients are the same. Without a backward pass to come
    /// the dense head is as lean.
    /// </summary>
    public static HeadKernel ChooseHead(bool checkpointing, bool headTrains, bool needsGrad) =>
        !needsGrad || (headTrains && !checkpointing) ? HeadKernel.Dense
        : headTrains ? HeadKernel.ChunkedRecompute : HeadKernel.ChunkedFrozen;

    /// <summary>
    /// The head on final hidden states [M, H] at the positions predicting <paramref name="targets"/> [M]: log p(target)
    /// [M] (with the graph when gradients are enabled) and the logit sums [M] (detached), computed in
    /// <paramref name="scoreType"/> with <paramref name="chunkRows"/> positions per chunk where chunked.
    /// </summary>
    public static (Tensor LogProbs, Tensor LogitSums) TargetLogProbs(Tensor hidden, Tensor targets, Tensor weight, ScalarType scoreType,
        long chunkRows, bool checkpointing, double? softCap = null)
    {
        var needsGrad = torch.is_grad_enabled() && hidden.requires_grad;
        if (ChooseHead(checkpointing, weight.requires_grad, needsGrad) != HeadKernel.Dense)
        {
            var outputs = HeadCheckpoint.apply(hidden, targets, new HeadCheckpoint.Replay(weight, scoreType, chunkRows, softCap));
            return (outputs[0], outputs[1]);
        }
        using var scope = torch.NewDisposeScope();
        var (logProbs, logitSums) = HeadCheckpoint.Score(weight, hidden, targets, scoreType, softCap);
        return (logProbs.MoveToOuterDisposeScope(), logitSums.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// h = x + update [B, T, H], the attention residual: in a checkpointed layer recorded by its forward pass and
    /// rebuilt from that record by its replay (<see cref="CheckpointedResidual"/>).
    /// </summary>
    public static Tensor AttentionResidual(Tensor x, Tensor update, KernelCall call) =>
        call.Residual is { } residual ? residual.Add(x, update, call.Replay) : x + update;
}
