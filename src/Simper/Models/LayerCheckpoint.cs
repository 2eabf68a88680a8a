using Simper.Kernels;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Models;

/// <summary>
/// Gradient checkpointing of one decoder layer as a custom autograd function: the forward pass runs without a graph
/// and keeps only the layer's input and its attention residual (<see cref="CheckpointedResidual"/>); the backward pass
/// replays the layer's one forward with gradients enabled (<see cref="KernelCall.Replay"/>) and back-propagates through
/// the replay, which accumulates the layer's parameter gradients and yields the input's. With the residual kept, the
/// replay leaves out the forward products of the two projections whose outputs only the residual stream reads (o_proj
/// and down_proj). The replay runs from the random-number state the forward pass started with (restoring the current
/// one after), so dropout inside the layer — LoRA's on its adapters — draws the same masks and the replay reproduces
/// the forward exactly.
/// </summary>
internal sealed class LayerCheckpoint : KernelFunction<LayerCheckpoint>
{
    public override string Name => nameof(LayerCheckpoint);

    /// <summary>The layer applied to x [B, T, H]; graph-wise a single node whose backward recomputes the layer.</summary>
    public static Tensor Run(LlamaDecoderLayer layer, Tensor x, LayerInputs inputs)
    {
        var kept = inputs with
        {
            Cos = Keep(inputs.Cos),
            Sin = Keep(inputs.Sin),
            Mask = inputs.Mask is null ? null : Keep(inputs.Mask),
            Cache = null,
            Call = inputs.Call with { Replay = false, Residual = new CheckpointedResidual() },
        };
        return apply(x, new Replay(layer, kept, torch.random.get_rng_state().DetachFromDisposeScope()));
    }

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var (x, replay) = ((Tensor)vars[0], (Replay)vars[1]);
        ctx.save_for_backward([x]);
        ctx.save_data(nameof(Replay), replay);
        return replay.Layer.forward(x, replay.Inputs); // [B, T, H]; records the attention residual
    }

    protected override List<Tensor?> Gradients(AutogradContext ctx, Tensor gradOutput)
    {
        var replay = (Replay)ctx.get_data(nameof(Replay));
        var saved = ctx.get_saved_variables();
        Tensor inputGrad;
        using var current = torch.random.get_rng_state();
        torch.random.set_rng_state(replay.Rng);
        using (torch.enable_grad())
        {
            var input = saved[0].detach().requires_grad_(true); // [B, T, H]
            var inputs = replay.Inputs with { Call = replay.Inputs.Call with { Replay = true } };
            var output = replay.Layer.forward(input, inputs); // [B, T, H], values unset: nothing reads them
            torch.autograd.backward([output], [gradOutput]);
            inputGrad = input.grad!;
        }
        torch.random.set_rng_state(current);
        replay.Dispose();
        // One gradient per forward argument: the input's, and none for the replay description.
        return [inputGrad, null];
    }

    /// <summary>
    /// A handle of its own on a tensor the caller's dispose scope will free before the backward pass runs; the
    /// storage is shared, not copied.
    /// </summary>
    private static Tensor Keep(Tensor t) => t.alias().DetachFromDisposeScope();

    /// <summary>Everything besides the input that the layer needs to run again.</summary>
    private sealed record Replay(LlamaDecoderLayer Layer, LayerInputs Inputs, Tensor Rng) : IDisposable
    {
        public void Dispose()
        {
            Rng.Dispose();
            Inputs.Cos.Dispose();
            Inputs.Sin.Dispose();
            Inputs.Mask?.Dispose();
            Inputs.Call.Residual?.Dispose();
        }
    }
}
