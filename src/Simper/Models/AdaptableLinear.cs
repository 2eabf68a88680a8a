using Simper.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>
/// The model's linear layer: a projection y = x Wᵀ + b that can carry a LoRA adapter, as PEFT's lora.Linear:
/// y = x Wᵀ + b + (alpha / r) · B(A(dropout(x))). Without an adapter it computes exactly what nn.Linear does.
/// The base weight and bias are registered as this module's own <c>weight</c> and <c>bias</c>, so the model's
/// state_dict keeps the checkpoint names (…q_proj.weight) whether or not an adapter is attached; the adapter adds
/// <c>lora_A.weight</c> [r, in] and <c>lora_B.weight</c> [out, r]. Attaching, merging and saving adapters is the
/// Lora folder's work; which kernel the projection runs is <see cref="KernelDispatch.Linear"/>'s choice.
/// </summary>
public sealed class AdaptableLinear : nn.Module
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
    /// Whether only the float32 residual stream reads this projection's output (o_proj and down_proj, see
    /// <see cref="LlamaModel.ResidualType"/>). A projection of 16-bit weights that multiplies in float32 then returns
    /// its float32 product unrounded: rounding each layer's update to 8 bits before adding it to the stream would cost
    /// precision and save nothing, since no node keeps that output. Native 16-bit GEMMs (a GPU, or a CPU where
    /// <see cref="KernelOptions"/> chooses them) return their own dtype either way. Gradient checkpointing's replay
    /// skips such a product.
    /// </summary>
    public bool FeedsResidual { get; init; }

    public AdaptableLinear(long inFeatures, long outFeatures, bool hasBias, Device? device = null, ScalarType dtype = ScalarType.Float32)
        : base(nameof(AdaptableLinear))
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

    /// <param name="x">[..., in]</param>
    /// <param name="call">the model's kernel options and checkpointing state; this CPU's defaults when null</param>
    /// <returns>[..., out]</returns>
    public Tensor forward(Tensor x, KernelCall? call = null)
    {
        using var scope = torch.NewDisposeScope();
        var rows = x.reshape(-1, InFeatures); // [N, in]
        var adapter = lora_A is not null && lora_B is not null && AdapterEnabled ? new LowRankAdapter(lora_A.weight!, lora_B.weight!, Scale, lora_dropout) : null;
        var output = KernelDispatch.Linear(rows, weight, bias, adapter, FeedsResidual, call ?? KernelCall.Default); // [N, out]
        return output.view([.. x.shape[..^1], OutFeatures]).MoveToOuterDisposeScope();
    }

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
