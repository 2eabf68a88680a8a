using Simper.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Training;

public class PyTorchAdamWTests
{
    private const double Lr = 0.1, Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8;

    [Fact]
    public void TheFirstStepMovesEachWeightByTheLearningRateAgainstItsGradientAfterTheDecay()
    {
        // Step 1: m = (1 − β₁)g and v = (1 − β₂)g², so m / (1 − β₁) = g and √(v / (1 − β₂)) = |g|; the update is
        // lr · g / (|g| + ε), the learning rate times the gradient's sign for |g| ≫ ε.
        var weight = new TorchSharp.Modules.Parameter(tensor(new[] { 1.0, -2.0, 0.5, 3.0 }, ScalarType.Float64));
        using var optimizer = new PyTorchAdamW([weight], Lr, Beta1, Beta2, Eps, weightDecay: 0.5);
        weight.grad = tensor(new[] { 0.3, -4.0, 1e-9, 0.0 }, ScalarType.Float64);
        optimizer.step();
        double[] decayed = [1.0 * 0.95, -2.0 * 0.95, 0.5 * 0.95, 3.0 * 0.95]; // 1 − lr·λ = 0.95
        double[] expected =
        [
            decayed[0] - Lr * 0.3 / (0.3 + Eps),
            decayed[1] + Lr * 4.0 / (4.0 + Eps),
            decayed[2] - Lr * 1e-9 / (1e-9 + Eps), // a gradient below ε moves its weight by lr/11
            decayed[3],                            // no gradient, no move
        ];
        var actual = weight.data<double>().ToArray();
        for (var i = 0; i < 4; i++) Assert.Equal(expected[i], actual[i], 1e-15);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.01)]
    public void FiveStepsFollowPyTorchsAdamWFormula(double weightDecay)
    {
        double[] start = [0.7, -1.3, 0.05];
        double[][] grads = [[0.2, -0.5, 1.0], [-0.1, -0.4, 0.9], [0.3, 0.0, -2.0], [0.25, -0.6, 0.4], [-0.05, 0.1, 0.0]];
        var weight = new TorchSharp.Modules.Parameter(tensor(start, ScalarType.Float64));
        using var optimizer = new PyTorchAdamW([weight], Lr, Beta1, Beta2, Eps, weightDecay);
        foreach (var g in grads)
        {
            weight.grad = tensor(g, ScalarType.Float64);
            optimizer.step();
        }

        // torch.optim.AdamW's single-tensor update, element by element in doubles.
        var p = (double[])start.Clone();
        var m = new double[3];
        var v = new double[3];
        for (var t = 1; t <= grads.Length; t++)
            for (var i = 0; i < 3; i++)
            {
                var g = grads[t - 1][i];
                p[i] *= 1 - Lr * weightDecay;
                m[i] += (g - m[i]) * (1 - Beta1);
                v[i] = v[i] * Beta2 + (1 - Beta2) * g * g;
                var denominator = Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(Beta2, t)) + Eps;
                p[i] -= Lr / (1 - Math.Pow(Beta1, t)) * m[i] / denominator;
            }
        var actual = weight.data<double>().ToArray();
        for (var i = 0; i < 3; i++) Assert.Equal(p[i], actual[i], 1e-14);
    }

    [Fact]
    public void ZeroGradDropsTheGradientsSoTheNextBackwardPassStartsAfresh()
    {
        var weight = new TorchSharp.Modules.Parameter(tensor(new[] { 1.0f, 2.0f }));
        using var optimizer = new PyTorchAdamW([weight], Lr, Beta1, Beta2, Eps, 0.0);
        (weight * 3).sum().backward();
        optimizer.zero_grad();
        Assert.Null(weight.grad);
        (weight * 5).sum().backward();
        Assert.Equal([5f, 5f], weight.grad!.data<float>().ToArray());
    }
}
