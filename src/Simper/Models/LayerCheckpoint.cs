using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Simper.Models;

/// <summary>
/// Gradient checkpointing of one decoder layer as a custom autograd function: the forward pass runs without a graph
/// and saves only the layer's input and its attention residual (<see cref="LlamaDecoderLayer.AttentionResidual"/>);
/// the backward pass replays the layer with gradients enabled and back-propagates through the replay, which
/// accumulates the layer's parameter gradients and yields the input's. With the residual saved, the replay leaves out
/// the forward products of the two projections whose outputs only the residual stream reads (o_proj and down_proj).
/// The replay runs from the random-number state the forward pass started with (restoring the current one after), so
/// dropout inside the layer — LoRA's on its adapters — draws the same masks and the replay reproduces the forward exactly.
/// </summary>
internal sealed class LayerCheckpoint : SingleTensorFunction<LayerCheckpoint>
{
    public override string Name => nameof(LayerCheckpoint);

    /// <summary>The layer applied to x [B, T, H]; graph-wise a single node whose backward recomputes the layer.</summary>
    public static Tensor Run(LlamaDecoderLayer layer, Tensor x, Tensor cos, Tensor sin, Tensor? mask, PackedAttention? packed) =>
        apply(x, new Replay(layer, Keep(cos), Keep(sin), mask is null ? null : Keep(mask), packed,
            torch.random.get_rng_state().DetachFromDisposeScope()));

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var (x, replay) = ((Tensor)vars[0], (Replay)vars[1]);
        using var scope = torch.NewDisposeScope();
        // The saved tensors are taken after this method returns, so h's handle must outlive this scope.
        var h = replay.Layer.AttentionResidual(x, replay.Cos, replay.Sin, replay.Mask, null, replay.Packed).MoveToOuterDisposeScope(); // [B, T, H]
        ctx.save_for_backward([x, h]);
        ctx.save_data(nameof(Replay), replay);
        return replay.Layer.MlpResidual(h).MoveToOuterDisposeScope(); // [B, T, H]
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput)
    {
        ReturnedGradients.Release();
        var replay = (Replay)ctx.get_data(nameof(Replay));
        using var scope = torch.NewDisposeScope();
        var saved = ctx.get_saved_variables();
        Tensor inputGrad;
        using var current = torch.random.get_rng_state();
        torch.random.set_rng_state(replay.Rng);
        using (torch.enable_grad())
        using (Float32Attention.KeepGraph()) // the replay's activations live only until the backward pass just below
        {
            var input = saved[0].detach().requires_grad_(true); // [B, T, H]
            var output = replay.Layer.ForwardForBackward(input, saved[1], replay.Cos, replay.Sin, replay.Mask, replay.Packed); // [B, T, H], values unset
            torch.autograd.backward([output], [gradOutput]);
            inputGrad = input.grad!;
        }
        torch.random.set_rng_state(current);
        replay.Dispose();
        // One gradient per forward argument: the input's, and none for the replay description.
        return [ReturnedGradients.Hand(inputGrad), null!];
    }

    /// <summary>
    /// A handle of its own on a tensor the caller's dispose scope will free before the backward pass runs; the
    /// storage is shared, not copied.
    /// </summary>
    private static Tensor Keep(Tensor t) => t.alias().DetachFromDisposeScope();

    /// <summary>Everything besides the input that the layer needs to run again.</summary>
    private sealed record Replay(LlamaDecoderLayer Layer, Tensor Cos, Tensor Sin, Tensor? Mask, PackedAttention? Packed, Tensor Rng) : IDisposable
    {
        public void Dispose()
        {
            Rng.Dispose();
            Cos.Dispose();
            Sin.Dispose();
            Mask?.Dispose();
        }
    }
}
