using Simper.Objectives;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Objectives;

/// <summary>
/// Each paired objective on three hand-picked pairs; the expected loss and metrics are worked out here in plain
/// double arithmetic from the formulas, never by calling the objective.
/// </summary>
public class PairedObjectiveMathTests
{
    // Policy and reference summed log-probs and response lengths (EOS included) of three pairs.
    private static readonly double[] Sw = [-2.0, -6.0, -3.0], Sl = [-3.0, -4.0, -9.0];
    private static readonly long[] Nw = [2, 3, 4], Nl = [3, 2, 3];
    private static readonly double[] Rw = [-2.5, -5.0, -3.5], Rl = [-2.5, -4.5, -8.0];
    private const int B = 3;

    private static double Mw(int i) => Sw[i] / Nw[i];
    private static double Ml(int i) => Sl[i] / Nl[i];
    private static double LogSigmoid(double x) => -Math.Log(1 + Math.Exp(-x));
    private static double Mean(Func<int, double> f) => Enumerable.Range(0, B).Select(f).Average();
    private static double ChosenNll => Mean(i => -Mw(i)); // mean over pairs of per-pair token means

    private static PairLogProbs LogProbs(double[] chosen, double[] rejected, ScalarType dtype) => new(
        tensor(chosen, dtype: dtype), tensor(rejected, dtype: dtype), tensor(Nw), tensor(Nl));

    private static PairedInputs Inputs(ScalarType dtype, bool withReference) => new(
        LogProbs(Sw, Sl, dtype), withReference ? LogProbs(Rw, Rl, dtype) : null);

    private static ObjectiveResult Run(IPreferenceObjective objective, ScalarType dtype)
    {
        var result = objective.Compute(Inputs(dtype, objective.NeedsReference));
        Assert.Equal(dtype, result.Loss.dtype);
        Assert.Empty(result.Loss.shape);
        return result;
    }

    private static void AssertClose(double expected, double actual, ScalarType dtype)
    {
        var tolerance = (dtype == ScalarType.Float64 ? 1e-12 : 1e-6) * Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected:R}, got {actual:R}");
    }

    private static void AssertPairedMetrics(ObjectiveResult result, Func<int, double> chosenReward,
        Func<int, double> rejectedReward, ScalarType dtype)
    {
        AssertClose(Mean(chosenReward), result.Metrics["rewards/chosen"], dtype);
        AssertClose(Mean(rejectedReward), result.Metrics["rewards/rejected"], dtype);
        AssertClose(Mean(i => chosenReward(i) - rejectedReward(i)), result.Metrics["rewards/margins"], dtype);
        AssertClose(Mean(i => chosenReward(i) > rejectedReward(i) ? 1 : 0), result.Metrics["rewards/accuracies"], dtype);
        AssertClose(Mean(i => Sw[i]), result.Metrics["logps/chosen"], dtype);
        AssertClose(Mean(i => Sl[i]), result.Metrics["logps/rejected"], dtype);
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void SimperIsMeanOfRejectedMinusChosenInversePerplexity(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var result = Run(new SimperObjective(), dtype);
        AssertClose(Mean(i => -Math.Exp(Mw(i)) + Math.Exp(Ml(i))), result.Loss.ToDouble(), dtype);
        AssertPairedMetrics(result, Mw, Ml, dtype);
        Assert.Equal(6, result.Metrics.Count);
    }

    [Fact]
    public void SimperGradientMatchesHandDerivative()
    {
        using var scope = NewDisposeScope();
        var chosen = tensor(Sw, dtype: ScalarType.Float64).requires_grad_();
        var rejected = tensor(Sl, dtype: ScalarType.Float64).requires_grad_();
        var result = new SimperObjective().Compute(new PairedInputs(new PairLogProbs(chosen, rejected, tensor(Nw), tensor(Nl))));
        result.Loss.backward();
        var chosenGrad = chosen.grad!.data<double>().ToArray();
        var rejectedGrad = rejected.grad!.data<double>().ToArray();
        for (var i = 0; i < B; i++)
        {
            // d/dS_w of −exp(S_w/|y_w|)/B and d/dS_l of exp(S_l/|y_l|)/B.
            AssertClose(-Math.Exp(Mw(i)) / Nw[i] / B, chosenGrad[i], ScalarType.Float64);
            AssertClose(Math.Exp(Ml(i)) / Nl[i] / B, rejectedGrad[i], ScalarType.Float64);
        }
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void DpoIsLogisticLossOnLogRatioMargin(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        const double beta = 0.5;
        double Dw(int i) => Sw[i] - Rw[i];
        double Dl(int i) => Sl[i] - Rl[i];
        var result = Run(new DpoObjective(beta), dtype);
        AssertClose(Mean(i => -LogSigmoid(beta * (Dw(i) - Dl(i)))), result.Loss.ToDouble(), dtype);
        AssertPairedMetrics(result, i => beta * Dw(i), i => beta * Dl(i), dtype);
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void IpoIsSquaredDistanceOfPerTokenMarginFromTarget(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        const double beta = 0.25;
        double Dw(int i) => Sw[i] - Rw[i];
        double Dl(int i) => Sl[i] - Rl[i];
        var result = Run(new IpoObjective(beta), dtype);
        AssertClose(Mean(i => Math.Pow(Dw(i) / Nw[i] - Dl(i) / Nl[i] - 1 / (2 * beta), 2)), result.Loss.ToDouble(), dtype);
        AssertPairedMetrics(result, i => beta * Dw(i), i => beta * Dl(i), dtype);
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void CpoAddsWeightedChosenNllToReferenceFreeLogisticLoss(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        const double beta = 0.3, alpha = 0.7;
        var result = Run(new CpoObjective(beta, alpha), dtype);
        AssertClose(Mean(i => -LogSigmoid(beta * (Sw[i] - Sl[i]))) + alpha * ChosenNll, result.Loss.ToDouble(), dtype);
        AssertClose(ChosenNll, result.Metrics["nll_loss"], dtype);
        AssertPairedMetrics(result, Mw, Ml, dtype);
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void SlicIsHingeOnSummedMarginPlusWeightedNll(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // δ = 2.5 puts pair 0 (margin 1) and pair 1 (margin −2) inside the hinge and pair 2 (margin 6) outside it.
        const double delta = 2.5, lambda = 0.2;
        var result = Run(new SlicObjective(delta, lambda), dtype);
        var hinge = ((2.5 - 1.0) + (2.5 + 2.0) + 0.0) / 3;
        AssertClose(Mean(i => Math.Max(0, delta - (Sw[i] - Sl[i]))), hinge, ScalarType.Float64);
        AssertClose(hinge + lambda * ChosenNll, result.Loss.ToDouble(), dtype);
        AssertClose(ChosenNll, result.Metrics["nll_loss"], dtype);
        AssertPairedMetrics(result, Mw, Ml, dtype);
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void SimpoIsLogisticLossOnMeanLogProbMarginMinusGamma(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        const double beta = 2.0, gamma = 0.5;
        var result = Run(new SimpoObjective(beta, gamma), dtype);
        AssertClose(Mean(i => -LogSigmoid(beta * (Mw(i) - Ml(i)) - gamma)), result.Loss.ToDouble(), dtype);
        AssertPairedMetrics(result, Mw, Ml, dtype);
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void OrpoIsChosenNllMinusWeightedLogSigmoidOfLogOddsRatio(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        const double lambda = 0.1;
        double LogOdds(double m) => m - Math.Log(1 - Math.Exp(m));
        double Ratio(int i) => LogOdds(Mw(i)) - LogOdds(Ml(i));
        var result = Run(new OrpoObjective(lambda), dtype);
        AssertClose(ChosenNll - lambda * Mean(i => LogSigmoid(Ratio(i))), result.Loss.ToDouble(), dtype);
        AssertClose(ChosenNll, result.Metrics["nll_loss"], dtype);
        AssertClose(Mean(i => LogSigmoid(Ratio(i))), result.Metrics["log_odds_ratio"], dtype);
        AssertClose(Mean(Ratio), result.Metrics["log_odds_chosen"], dtype);
        AssertPairedMetrics(result, Mw, Ml, dtype);
    }

    [Fact]
    public void ReferenceBasedObjectiveRejectsMissingReference()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => new DpoObjective(0.1).Compute(Inputs(ScalarType.Float64, withReference: false)));
        Assert.StartsWith("objective 'dpo' needs reference log-probs", error.Message);
    }

    [Fact]
    public void PairedObjectiveRejectsUnpairedInputs()
    {
        using var scope = NewDisposeScope();
        var side = new UnpairedLogProbs(tensor(Sw), tensor(Sl));
        var error = Assert.Throws<ArgumentException>(() =>
            new SimperObjective().Compute(new UnpairedInputs(side, side, tensor(new[] { true, false, true }))));
        Assert.StartsWith("objective 'simper' takes PairedInputs, got UnpairedInputs", error.Message);
    }
}
