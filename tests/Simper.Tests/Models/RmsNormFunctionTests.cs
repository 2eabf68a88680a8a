using Simper.Kernels;
using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Models;

/// <summary>The fused RMS norm node gives the plain expression's values and autograd's gradients.</summary>
public class RmsNormFunctionTests
{
    private const double Eps = 1e-5;

    /// <summary>transformers' LlamaRMSNorm, left to autograd: x · rsqrt(mean(x²) + eps) · w.</summary>
    private static Tensor Plain(Tensor x, Tensor w, ScalarType outputType)
    {
        var xf = x.to(x.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32);
        return (xf * torch.rsqrt(xf.pow(2).mean([-1], keepdim: true) + Eps) * w).to(outputType);
    }

    private static (Tensor X, Tensor W, Tensor G) Inputs(ScalarType type)
    {
        var generator = new Generator(7);
        var x = torch.randn([3, 5, 16], generator: generator, dtype: ScalarType.Float64).mul_(3).to(type);
        var w = torch.randn([16], generator: generator, dtype: ScalarType.Float64).mul_(0.1).add_(1).to(type == ScalarType.Float64 ? type : ScalarType.Float32);
        var g = torch.randn([3, 5, 16], generator: generator, dtype: ScalarType.Float64).to(type);
        return (x, w, g);
    }

    private static (Tensor Y, Tensor Dx, Tensor Dw) Run(Func<Tensor, Tensor, Tensor> norm, Tensor x, Tensor w, Tensor g)
    {
        var (xl, wl) = (x.detach().requires_grad_(), w.detach().requires_grad_());
        var y = norm(xl, wl);
        y.backward([g]);
        return (y.detach(), xl.grad!, wl.grad!);
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1e-5, 1e-4)]
    [InlineData(ScalarType.Float64, 1e-12, 1e-12)]
    public void ValuesAreThePlainExpressionsBitForBitAndGradientsAutogradsToRounding(ScalarType type, double dxTolerance, double dwTolerance)
    {
        using var scope = NewDisposeScope();
        var (x, w, g) = Inputs(type);
        var fused = Run((a, b) => RmsNormFunction.Run(a, b, Eps, type), x, w, g);
        var plain = Run((a, b) => Plain(a, b, type), x, w, g);
        Assert.True(fused.Y.equal(plain.Y).all().item<bool>());
        Assert.True(fused.Dx.allclose(plain.Dx, rtol: 0, atol: dxTolerance), $"dx off by {(fused.Dx - plain.Dx).abs().max().to(ScalarType.Float64).item<double>()}");
        Assert.True(fused.Dw.allclose(plain.Dw, rtol: 0, atol: dwTolerance), $"dw off by {(fused.Dw - plain.Dw).abs().max().to(ScalarType.Float64).item<double>()}");
        // Without a graph the node is skipped and the same values come back.
        using (no_grad()) Assert.True(RmsNormFunction.Run(x, w, Eps, type).equal(plain.Y).all().item<bool>());
    }

    [Fact]
    public void HandWorkedGradientOfOneRow()
    {
        using var scope = NewDisposeScope();
        // x = [3, 4]: mean(x²) = 12.5, r = 1/sqrt(12.5 + eps); w = [2, 1]; g = [1, 0].
        var x = tensor(new double[] { 3, 4 }).requires_grad_();
        var w = tensor(new double[] { 2, 1 }).requires_grad_();
        RmsNormFunction.Run(x, w, Eps, ScalarType.Float64).backward([tensor(new double[] { 1, 0 })]);
        var r = 1 / Math.Sqrt(12.5 + Eps);
        // dx = r · (g·w − x · r² · Σ(g·w·x) / H), Σ(g·w·x) = 1·2·3 = 6; dw = r · g · x.
        double[] dx = [r * (2 - 3 * r * r * 6 / 2), r * (0 - 4 * r * r * 6 / 2)];
        Assert.Equal(dx[0], x.grad!.data<double>()[0], 1e-14);
        Assert.Equal(dx[1], x.grad!.data<double>()[1], 1e-14);
        Assert.Equal(r * 3, w.grad!.data<double>()[0], 1e-14);
        Assert.Equal(0.0, w.grad!.data<double>()[1], 1e-14);
    }

    [Fact]
    public void Bfloat16InputGetsItsGradientInBfloat16AndTheFloat32GainInFloat32()
    {
        using var scope = NewDisposeScope();
        var (x, w, g) = Inputs(ScalarType.BFloat16);
        var fused = Run((a, b) => RmsNormFunction.Run(a, b, Eps, ScalarType.BFloat16), x, w, g);
        var plain = Run((a, b) => Plain(a, b, ScalarType.BFloat16), x, w, g);
        Assert.Equal(ScalarType.BFloat16, fused.Y.dtype);
        Assert.Equal(ScalarType.BFloat16, fused.Dx.dtype);
        Assert.Equal(ScalarType.Float32, fused.Dw.dtype);
        Assert.True(fused.Y.equal(plain.Y).all().item<bool>());
        // Both round dx once to bfloat16 from float32 sums taken in different orders: at most one bfloat16 step apart.
        var dxGap = (fused.Dx.to(ScalarType.Float32) - plain.Dx.to(ScalarType.Float32)).abs();
        Assert.True(dxGap.le(plain.Dx.to(ScalarType.Float32).abs() * (1.0 / 128) + 1e-6).all().item<bool>(), $"dx off by {dxGap.max().item<float>()}");
        Assert.True(fused.Dw.allclose(plain.Dw, rtol: 1e-5, atol: 1e-4), $"dw off by {(fused.Dw - plain.Dw).abs().max().item<float>()}");
    }
}
