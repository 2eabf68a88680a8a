using Simper.Kernels;
using Simper.Models;
using static TorchSharp.torch;

namespace Simper.Tests.Models;

public class ReturnedGradientsTests
{
    [Fact]
    public void AHandedGradientOutlivesItsScopeUntilTheNextRelease()
    {
        ReturnedGradients.Release(); // whatever an earlier test on this thread left
        Tensor gradient;
        using (NewDisposeScope())
        {
            gradient = ReturnedGradients.Hand(ones(3));
        }
        // The backward pass's scope has ended, but libtorch has yet to take the gradient: it must still be valid.
        Assert.False(gradient.IsInvalid);
        Assert.Equal(3f, gradient.sum().item<float>());
        ReturnedGradients.Release();
        Assert.True(gradient.IsInvalid);
    }

    [Fact]
    public void GradientsFlowThroughNodesThatHandTheirsBack()
    {
        // Two fused nodes in a row: the second's backward releases the first's returned gradient after libtorch took it.
        using var scope = NewDisposeScope();
        var x = randn([2, 3, 4], generator: new Generator(5), dtype: ScalarType.Float64).requires_grad_();
        var w = ones(4, dtype: ScalarType.Float64).requires_grad_();
        var y = RmsNormFunction.Run(RmsNormFunction.Run(x, w, 1e-6, ScalarType.Float64), w, 1e-6, ScalarType.Float64);
        y.pow(2).sum().backward();
        var (xl, wl) = (x.detach().requires_grad_(), w.detach().requires_grad_());
        Tensor Plain(Tensor t, Tensor g) => t * rsqrt(t.pow(2).mean([-1], keepdim: true) + 1e-6) * g;
        Plain(Plain(xl, wl), wl).pow(2).sum().backward();
        Assert.True(x.grad!.allclose(xl.grad!, rtol: 0, atol: 1e-12));
        Assert.True(w.grad!.allclose(wl.grad!, rtol: 0, atol: 1e-12));
    }
}
