using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Kernels;

/// <summary>
/// A LoRA layer without dropout as one autograd node: y = x (W + s·B A)ᵀ + b, the frozen base and the adapter in a
/// single GEMM with the merged weight (built from W, A and B: an [out, in] product of rank r, cheap beside the
/// projection). The adapter's gradients need only rank-r products, dA = s·(g B)ᵀ x and dB = s·gᵀ (x Aᵀ), but each of
/// x Aᵀ and g B reads a whole [N, in] or [N, out] activation to do little with it, so on a CPU each costs about a pass
/// over that activation, not its FLOPs. Both therefore ride on the GEMMs that read those activations anyway, through
/// one block [[W', B], [A, ·]] of [out + r, in + r]: the forward GEMM takes its first in columns (x [W'; A]ᵀ gives y
/// and x Aᵀ), the backward one its first out rows (g [W' | B] gives x's gradient and g B). The unfused layer instead
/// adds the adapter's output to the projection and its input gradient to the base's, extra passes over [N, out] and
/// [N, in] per layer. Computes in float32 (16-bit inputs on the CPU are widened, see <see cref="LinearFunction"/>) or
/// float64, returning x's dtype (the compute dtype with <c>wideOutput</c>); the base weight and bias get no gradient.
/// The output and x's gradient are views whose rows are strided by r extra columns.
/// </summary>
public sealed class MergedLoraProjection : KernelFunction<MergedLoraProjection>
{
    public override string Name => nameof(MergedLoraProjection);

    /// <summary>
    /// x [N, in], base weight [out, in] and bias [out] or null (frozen), adapter A [r, in] and B [out, r]; returns [N, out].
    /// With <paramref name="computeOutput"/> false the output's values are left unset and the forward GEMM skipped;
    /// the backward pass is the same (see <see cref="LinearFunction.Run"/>). With <paramref name="wideOutput"/> the
    /// product keeps the compute dtype rather than x's, for an output only the float32 residual stream reads.
    /// </summary>
    public static Tensor Run(Tensor x, Tensor weight, Tensor? bias, Tensor a, Tensor b, double scale, bool computeOutput = true, bool wideOutput = false)
    {
        var settings = new Settings(scale, bias is not null, computeOutput, wideOutput);
        return bias is null ? apply(x, weight, a, b, settings) : apply(x, weight, a, b, bias, settings);
    }

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var (x, weight, a, b) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3]);
        var settings = (Settings)vars[^1];
        var bias = settings.HasBias ? (Tensor)vars[4] : null;
        var type = a.dtype;
        var outputType = settings.WideOutput ? type : x.dtype;
        var (rows, outFeatures, rank) = (x.size(0), weight.size(0), a.size(0));
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad(); // the node's own backward follows, not the ops inside it
        var input = x.to(type);                                             // [N, in]
        Tensor down, output;
        Tensor? block = null;                                               // [out + r, in + r]
        if (settings.ComputeOutput)
        {
            // x [W'; A]ᵀ: the projection and the down product x Aᵀ that dB needs in one pass over x.
            block = MergedBlock(weight, a, b, settings.Scale);
            var both = nn.functional.linear(input, block.narrow(1, 0, weight.size(1))); // [N, out + r]
            down = both.narrow(1, outFeatures, rank).clone();               // [N, r], kept apart so `both` can go
            output = both.narrow(1, 0, outFeatures);                        // [N, out], rows strided by out + r
            if (bias is not null) output = output.add(bias.to(type));
            output = output.to(outputType);
        }
        else
        {
            down = input.matmul(a.t());
            output = torch.empty(rows, outFeatures, dtype: outputType, device: x.device);
        }
        ctx.save_for_backward([x, weight, a, b]);
        var holdsBlock = block is not null && x.requires_grad && HoldsBlock(rows, outFeatures, weight.size(1), rank);
        ctx.save_data(nameof(SavedUntilBackward), new SavedUntilBackward(holdsBlock ? [down, block!] : [down]));
        ctx.save_data(nameof(Settings), settings with { InputNeedsGrad = x.requires_grad });
        return output.MoveToOuterDisposeScope();
    }

    protected override List<Tensor?> Gradients(AutogradContext ctx, Tensor gradOutput)
    {
        var settings = (Settings)ctx.get_data(nameof(Settings));
        var saved = ctx.get_saved_variables();
        var (x, weight, a, b) = (saved[0], saved[1], saved[2], saved[3]);
        using var kept = (SavedUntilBackward)ctx.get_data(nameof(SavedUntilBackward));
        var down = kept.Tensors[0];                                         // [N, r]: x Aᵀ
        var type = a.dtype;
        var (inFeatures, rank) = (weight.size(1), a.size(0));
        var g = gradOutput.to(type);                                        // [N, out]
        Tensor? gradX = null;
        Tensor up;                                                          // [N, r]: g B
        if (settings.InputNeedsGrad)
        {
            // g [W' | B]: x's gradient and g B in one pass over g.
            var block = kept.Tensors.Length > 1 ? kept.Tensors[1] : MergedBlock(weight, a, b, settings.Scale);
            var both = g.matmul(block.narrow(0, 0, weight.size(0)));       // [N, in + r]
            gradX = both.narrow(1, 0, inFeatures).to(x.dtype);              // [N, in], rows strided by in + r
            up = both.narrow(1, inFeatures, rank);
        }
        else up = g.matmul(b);
        var gradB = ReduceOverRows(g, down).mul_(settings.Scale);           // [out, r]: s·gᵀ (x Aᵀ)
        var gradA = ReduceOverRows(x.to(type), up).t().mul_(settings.Scale); // [r, in]: s·(g B)ᵀ x
        // One gradient per forward argument: x, the frozen weight, A, B, then the frozen bias if any and the settings.
        List<Tensor?> grads = [gradX, null, gradA, gradB];
        if (settings.HasBias) grads.Add(null);
        grads.Add(null);
        return grads;
    }

    /// <summary>
    /// wideᵀ narrow for wide [N, F] and narrow [N, r]: a sum over the N rows, returned as [F, r]. The transposed
    /// product, [r, N]·[N, F], is the same FLOPs but MKL runs it slower at every width the bench model has.
    /// </summary>
    private static Tensor ReduceOverRows(Tensor wide, Tensor narrow) => wide.t().matmul(narrow);

    /// <summary>
    /// [[W', B], [A, ·]] in the adapter's dtype (a 16-bit W is widened), W' = W + s·B A: one new [out + r, in + r]
    /// tensor whose first in columns are the forward GEMM's operand and whose first out rows the backward one's. The
    /// r × r corner is left unset; neither reads it.
    /// </summary>
    private static Tensor MergedBlock(Tensor weight, Tensor a, Tensor b, double scale)
    {
        var (outFeatures, inFeatures, rank) = (weight.size(0), weight.size(1), a.size(0));
        var block = torch.empty(outFeatures + rank, inFeatures + rank, dtype: a.dtype, device: weight.device);
        var top = block.narrow(0, 0, outFeatures);
        top.narrow(1, 0, inFeatures).copy_(weight).addmm_(b, a, beta: 1, alpha: (float)scale);
        top.narrow(1, inFeatures, rank).copy_(b);
        block.narrow(0, outFeatures, rank).narrow(1, 0, inFeatures).copy_(a);
        return block;
    }

    /// <summary>
    /// Whether the forward pass's block is kept for the backward one rather than built again: a pass over the block
    /// saved against its memory until then. Kept only where it is no larger than the [N, in] input the node saves
    /// anyway, so that it adds at most that much to a step's activations: a large model on short batches, whose
    /// weights outweigh its activations, builds the block twice instead.
    /// </summary>
    internal static bool HoldsBlock(long rows, long outFeatures, long inFeatures, long rank) =>
        (outFeatures + rank) * (inFeatures + rank) <= rows * inFeatures;

    private sealed record Settings(double Scale, bool HasBias, bool ComputeOutput, bool WideOutput, bool InputNeedsGrad = true);
}
