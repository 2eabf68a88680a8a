using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Simper.Training;

/// <summary>
/// AdamW computed as PyTorch's <c>torch.optim.AdamW</c> (single-tensor path, the CPU default) computes it, on
/// TorchSharp's AdamW state, so its parameter groups, learning-rate schedule and saved state work unchanged:
/// <code>
/// p     ← p · (1 − lr·λ)                     (skipped when λ = 0)
/// m     ← lerp(m, g, 1 − β₁)
/// v     ← v · β₂ + (1 − β₂) · g²
/// p     ← p − lr / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// Two passes over the weights fewer than TorchSharp's own step, which multiplies every weight by 1 − lr·λ even at
/// λ = 0 and forms m in two operations. <see cref="zero_grad"/> drops the gradients (PyTorch's <c>set_to_none</c>
/// default) instead of filling them with zeros: the next backward pass then takes its gradient buffers as they come,
/// rather than adding them into zeroed ones, and the gradients hold no memory between steps.
/// </summary>
public sealed class PyTorchAdamW : AdamW
{
    public PyTorchAdamW(IEnumerable<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay)
        : base(parameters, lr, beta1, beta2, eps, weightDecay) { }

    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        double lr = options.LearningRate!.Value, beta1 = options.beta1!.Value, beta2 = options.beta2!.Value;
        double eps = options.eps!.Value, weightDecay = options.weight_decay!.Value;
        if (options.amsgrad!.Value || options.maximize!.Value)
            throw new NotSupportedException("this AdamW implements neither amsgrad nor maximize");
        foreach (var param in group.Parameters)
        {
            using var scope = NewDisposeScope();
            var grad = param.grad;
            if (grad is null) continue;
            var state = (State)_state[param.Handle];
            state.step += 1;
            if (weightDecay != 0) param.mul_(1 - lr * weightDecay);
            state.exp_avg.lerp_(grad, 1 - beta1);
            state.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
            double biasCorrection1 = 1 - Math.Pow(beta1, state.step), biasCorrection2 = 1 - Math.Pow(beta2, state.step);
            var denominator = state.exp_avg_sq.sqrt().div_(Math.Sqrt(biasCorrection2)).add_(eps);
            param.addcdiv_(state.exp_avg, denominator, value: -lr / biasCorrection1);
        }
    }, closure);

    /// <summary>Sets every gradient to none, as PyTorch's <c>zero_grad()</c> does by default.</summary>
    public override void zero_grad()
    {
        foreach (var group in _parameter_groups)
            foreach (var param in group.Parameters)
            {
                var grad = param.grad;
                if (grad is null) continue;
                param.grad = null;
                grad.Dispose();
            }
    }
}
