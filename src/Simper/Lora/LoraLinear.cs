using Simper.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Simper.Lora;

/// <summary>
/// A linear projection y = x Wᵀ + b that can carry a LoRA adapter, as PEFT's lora.Linear:
/// y = x Wᵀ + b + (alpha / r) · B(A(dropout(x))). Without an adapter it computes exactly what nn.Linear does.
/// The base weight and bias are registered as this module's own <c>weight</c> and <c>bias</c>, so the model's
/// state_dict keeps the checkpoint names (…q_proj.weight) whether or not an adapter is attached; the adapter adds
/// <c>lora_A.weight</c> [r, in] and <c>lora_B.weight</c> [out, r].
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    public readonly Parameter weight; // [out, in]
    public readonly Parameter? bias;  // [out]
    public long InFeatures { get; }
    public long OutFeatures { get; }

    /// <summary>The adapter's down projection in -> r, or null when no adapter is attached.</summary>
    public Linear? lora_A { get; private set; }
    /// <summary>The adapter's up projection r -> out, or null when no adapter is attached.</summary>
    public Linear? lora_B { get; private set; }
    private Dropout? lora_dropout;

    /// <summary>alpha / r, the factor on the adapter's output.</summary>
    public double Scale { get; private set; }
    public int Rank => lora_A is null ? 0 : (int)lora_A.weight!.shape[0];
    public bool HasAdapter => lora_A is not null;
    /// <summary>When false the adapter is bypassed and the layer computes the base projection alone.</summary>
    public bool AdapterEnabled { get; set; } = true;

    /// <summary>
    /// Whether a projection of 16-bit weights that multiplies in float32 (<see cref="Float32Linear.Applies"/>) returns
    /// its float32 product as it is, unrounded. Set on the projections whose output only the float32 residual stream
    /// reads (o_proj and down_proj, see <see cref="LlamaModel.ResidualType"/>): rounding each layer's update to 8 bits
    /// before adding it to the stream would cost precision and save nothing, since no node keeps that output.
    /// Native 16-bit GEMMs (a GPU, a CPU with avx512_bf16 or AMX) return their own dtype either way.
    /// </summary>
    public bool WidensOutput { get; init; }

    public LoraLinear(long inFeatures, long outFeatures, bool hasBias, Device? device = null, ScalarType dtype = ScalarType.Float32)
        : base(nameof(LoraLinear))
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        // nn.Linear's initialisation, so a model built without loading weights behaves as before.
        weight = new Parameter(torch.empty(outFeatures, inFeatures, dtype: dtype, device: device));
        nn.init.kaiming_uniform_(weight, a: Math.Sqrt(5));
        register_parameter(nameof(weight), weight);
        if (hasBias)
        {
            var bound = 1.0 / Math.Sqrt(inFeatures);
            bias = new Parameter(torch.empty(outFeatures, dtype: dtype, device: device));
            nn.init.uniform_(bias, -bound, bound);
            register_parameter(nameof(bias), bias);
        }
    }

    public override Tensor forward(Tensor x) // [..., in]
    {
        using var scope = torch.NewDisposeScope();
        long[] outputShape = [.. x.shape[..^1], OutFeatures];
        var rows = x.reshape(-1, InFeatures); // [N, in]
        if (lora_A is not null && lora_B is not null && AdapterEnabled && CanMerge)
            return MergedLoraProjection.Run(rows, weight, bias, lora_A.weight!, lora_B.weight!, Scale, wideOutput: WidensOutput).view(outputShape).MoveToOuterDisposeScope();
        var result = Float32Linear.Applies(weight) ? Float32Linear.Run(rows, weight, bias, wideOutput: WidensOutput) : nn.functional.linear(rows, weight, bias); // [N, out]
        if (lora_A is null || lora_B is null || !AdapterEnabled) return result.view(outputShape).MoveToOuterDisposeScope();

        // As PEFT: the input is cast to the adapter's dtype and the update is added at that precision.
        var adapterType = lora_A.weight!.dtype;
        var input = rows.dtype == adapterType ? rows : rows.to(adapterType);
        if (lora_dropout is not null) input = lora_dropout.forward(input); // identity in eval mode
        var down = lora_A.forward(input); // [N, r]
        var sum = result.dtype == adapterType ? result : result.to(adapterType);
        // result + scale · down Bᵀ as one accumulating GEMM: no [N, out] temporary for the update. In place is safe
        // because the base projection's backward needs only its inputs, not its output.
        sum.addmm_(down, lora_B.weight!.t(), beta: 1, alpha: (float)Scale);
        var output = sum.dtype == result.dtype ? sum : sum.to(result.dtype);
        return output.view(outputShape).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The layer as a node of the autograd graph with an exact backward pass but output values left unset, skipping
    /// the forward GEMM: for gradient checkpointing's replay, where the last projection's output is read by nothing
    /// (its backward needs only its input). An adapter with dropout in training computes its output as usual.
    /// </summary>
    public Tensor ForwardForBackward(Tensor x) // [..., in]
    {
        using var scope = torch.NewDisposeScope();
        long[] outputShape = [.. x.shape[..^1], OutFeatures];
        var rows = x.reshape(-1, InFeatures); // [N, in]
        if (lora_A is null || lora_B is null || !AdapterEnabled)
            return Float32Linear.Run(rows, weight, bias, computeOutput: false, wideOutput: WidensOutput).view(outputShape).MoveToOuterDisposeScope();
        if (CanMerge)
            return MergedLoraProjection.Run(rows, weight, bias, lora_A.weight!, lora_B.weight!, Scale, computeOutput: false, wideOutput: WidensOutput).view(outputShape).MoveToOuterDisposeScope();
        return forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Whether the adapter can train as one merged projection (<see cref="MergedLoraProjection"/>): no dropout
    /// between x and A while training, a frozen base, and a computation in the adapter's own dtype — float32 or
    /// float64 weights, or 16-bit ones that multiply in float32 anyway (<see cref="Float32Linear.Applies"/>). A 16-bit
    /// base with native GEMMs (a GPU, or bfloat16 on a CPU with avx512_bf16 or AMX) keeps its native GEMM and adds the
    /// adapter beside it, as PEFT does.
    /// </summary>
    private bool CanMerge =>
        (lora_dropout is null || !lora_dropout.training) && !weight.requires_grad && (bias is null || !bias.requires_grad)
        && (weight.dtype == lora_A!.weight!.dtype || Float32Linear.Applies(weight));

    /// <summary>
    /// Attaches a fresh adapter as PEFT initialises it: A ~ kaiming-uniform(a = √5), B = 0, so the layer's output is
    /// unchanged until B is trained. Adapters of 16-bit base weights are kept in float32, as PEFT does by default,
    /// so their small updates are not rounded away.
    /// </summary>
    public void AttachAdapter(int rank, double alpha, double dropout)
    {
        if (HasAdapter) throw new InvalidOperationException("this layer already carries a LoRA adapter");
        var device = weight.device;
        var adapterType = DtypeNames.Widened(weight.dtype);
        var a = nn.Linear(InFeatures, rank, hasBias: false, device, adapterType);
        var b = nn.Linear(rank, OutFeatures, hasBias: false, device, adapterType);
        using (torch.no_grad())
        {
            nn.init.kaiming_uniform_(a.weight!, a: Math.Sqrt(5));
            nn.init.zeros_(b.weight!);
        }
        lora_A = a;
        lora_B = b;
        register_module(nameof(lora_A), a);
        register_module(nameof(lora_B), b);
        if (dropout > 0)
        {
            lora_dropout = nn.Dropout(dropout);
            lora_dropout.train(training);
            register_module(nameof(lora_dropout), lora_dropout);
        }
        Scale = alpha / rank;
        AdapterEnabled = true;
    }

    /// <summary>Folds the adapter into the base weight, W += (alpha / r) · B A, and removes it.</summary>
    public void MergeAdapter()
    {
        if (lora_A is null || lora_B is null) throw new InvalidOperationException("this layer carries no LoRA adapter to merge");
        using (torch.no_grad())
        using (var scope = torch.NewDisposeScope())
        {
            // Sum in float32 (or float64) so a 16-bit weight is rounded once, not twice.
            var sumType = DtypeNames.Widened(weight.dtype);
            var delta = lora_B.weight!.to(sumType).matmul(lora_A.weight!.to(sumType)).mul(Scale); // [out, in]
            weight.copy_(weight.to(sumType).add(delta));
        }
        RemoveAdapter();
    }

    /// <summary>Drops the adapter without changing the base weight.</summary>
    public void RemoveAdapter()
    {
        foreach (var name in new[] { nameof(lora_A), nameof(lora_B), nameof(lora_dropout) }) register_module(name, null!);
        lora_A?.Dispose();
        lora_B?.Dispose();
        lora_dropout?.Dispose();
        (lora_A, lora_B, lora_dropout) = (null, null, null);
        Scale = 0;
    }
}
