using Simper.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Families;

public class SoftCapTests
{
    /// <summary>log p(target) of soft-capped logits and its gradient by the hidden states, op by op through autograd.</summary>
    private static (double[] LogProbs, double[] Gradient) ByAutograd(Tensor hidden, Tensor targets, Tensor weight, double cap)
    {
        using var scope = torch.NewDisposeScope();
        var input = hidden.detach().requires_grad_(true);
        var logits = nn.functional.linear(input, weight).div(cap).tanh().mul(cap);
        var logProbs = logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1);
        logProbs.sum().backward();
        return (logProbs.detach().data<double>().ToArray(), input.grad!.data<double>().ToArray());
    }

    [Theory]
    [InlineData(false, false)] // a trained head, whole: autograd's graph
    [InlineData(false, true)]  // a trained head in chunks, recomputed in the backward pass
    [InlineData(true, false)]  // a frozen head: the gradient in closed form, weighed by the cap's slope
    public void EveryHeadKernelMatchesAutogradWithAFinalSoftCap(bool frozen, bool checkpointing)
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new torch.Generator(5);
        var hidden = torch.randn(7, 6, dtype: ScalarType.Float64, generator: generator) * 3; // logits well into tanh's bend
        var weight = torch.randn(11, 6, dtype: ScalarType.Float64, generator: generator).requires_grad_(!frozen);
        var targets = torch.tensor(new long[] { 0, 3, 10, 5, 5, 1, 9 });
        var (expectedLogProbs, expectedGradient) = ByAutograd(hidden, targets, weight.detach(), cap: 2.0);

        var input = hidden.detach().requires_grad_(true);
        var (logProbs, _) = KernelDispatch.TargetLogProbs(input, targets, weight, ScalarType.Float64, chunkRows: 3, checkpointing, softCap: 2.0);
        logProbs.sum().backward();
        Assert.Equal(expectedLogProbs, logProbs.detach().data<double>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal(expectedGradient, input.grad!.data<double>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);
        // The cap changes the values: without it log p differs.
        using var uncapped = torch.no_grad();
        var (plain, _) = KernelDispatch.TargetLogProbs(hidden, targets, weight.detach(), ScalarType.Float64, chunkRows: 3, checkpointing);
        Assert.True(plain.sub(logProbs.detach()).abs().max().item<double>() > 1e-2);
    }
}
