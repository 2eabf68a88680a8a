using Simper.Objectives;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Objectives;

/// <summary>KTO on four labelled completions, expected values worked out in plain double arithmetic.</summary>
public class KtoObjectiveTests
{
    private static readonly bool[] Desirable = [true, false, true, false];
    private static readonly double[] Policy = [-4.0, -5.0, -7.0, -3.0], Reference = [-4.6, -4.2, -6.5, -3.9];
    // Mismatched (prompt i, completion i−1) log-probs: policy − reference = [0.8, 0.2, −0.2, 0.4], mean 0.3.
    private static readonly double[] PolicyMismatched = [-8.0, -6.0, -9.0, -5.0], ReferenceMismatched = [-8.8, -6.2, -8.8, -5.4];
    private const double Beta = 0.5, DesirableWeight = 2.0, UndesirableWeight = 0.5, Kl = 0.3;

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
    private static double Reward(int i) => Beta * (Policy[i] - Reference[i]);

    private static UnpairedInputs Inputs(double[] policy, double[] policyMismatched, double[] referenceMismatched,
        bool[] desirable, ScalarType dtype = ScalarType.Float64) => new(
        new UnpairedLogProbs(tensor(policy, dtype: dtype), tensor(policyMismatched, dtype: dtype)),
        new UnpairedLogProbs(tensor(Reference, dtype: dtype), tensor(referenceMismatched, dtype: dtype)),
        tensor(desirable));

    private static void AssertClose(double expected, double actual, double relative = 1e-12) =>
        Assert.True(Math.Abs(expected - actual) <= relative * Math.Max(1, Math.Abs(expected)), $"expected {expected:R}, got {actual:R}");

    [Theory]
    [InlineData(ScalarType.Float64, 1e-12)]
    [InlineData(ScalarType.Float32, 1e-6)]
    public void LossIsWeightedMeanOverDesirableAndUndesirableAgainstClampedKl(ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        var objective = new KtoObjective(Beta, DesirableWeight, UndesirableWeight);
        var result = objective.Compute(Inputs(Policy, PolicyMismatched, ReferenceMismatched, Desirable, dtype));

        double Loss(int i) => Desirable[i]
            ? DesirableWeight * (1 - Sigmoid(Beta * (Policy[i] - Reference[i] - Kl)))
            : UndesirableWeight * (1 - Sigmoid(Beta * (Kl - (Policy[i] - Reference[i]))));
        AssertClose(Enumerable.Range(0, 4).Select(Loss).Average(), result.Loss.ToDouble(), tolerance);
        AssertClose(Kl, result.Metrics["kl"], tolerance);
        AssertClose((Reward(0) + Reward(2)) / 2, result.Metrics["rewards/chosen"], tolerance);
        AssertClose((Reward(1) + Reward(3)) / 2, result.Metrics["rewards/rejected"], tolerance);
        AssertClose((Reward(0) + Reward(2)) / 2 - (Reward(1) + Reward(3)) / 2, result.Metrics["rewards/margins"], tolerance);
        AssertClose((-4.0 - 7.0) / 2, result.Metrics["logps/chosen"], tolerance);
        AssertClose((-5.0 - 3.0) / 2, result.Metrics["logps/rejected"], tolerance);
    }

    [Fact]
    public void NegativeKlEstimateIsClampedToZero()
    {
        using var scope = NewDisposeScope();
        // Mismatched policy − reference = [−0.5, −0.5, −0.5, −0.5]: the baseline is max(0, −0.5) = 0.
        var result = new KtoObjective(Beta, 1, 1).Compute(
            Inputs(Policy, [-8.5, -6.5, -9.5, -5.5], [-8.0, -6.0, -9.0, -5.0], Desirable));
        double Loss(int i) => Desirable[i]
            ? 1 - Sigmoid(Beta * (Policy[i] - Reference[i]))
            : 1 - Sigmoid(-Beta * (Policy[i] - Reference[i]));
        AssertClose(Enumerable.Range(0, 4).Select(Loss).Average(), result.Loss.ToDouble());
        Assert.Equal(0.0, result.Metrics["kl"]);
    }

    [Fact]
    public void KlBaselineCarriesNoGradientAndCompletionsGetTheHandDerivative()
    {
        using var scope = NewDisposeScope();
        var policy = tensor(Policy, dtype: ScalarType.Float64).requires_grad_();
        var mismatched = tensor(PolicyMismatched, dtype: ScalarType.Float64).requires_grad_();
        var inputs = new UnpairedInputs(new UnpairedLogProbs(policy, mismatched),
            new UnpairedLogProbs(tensor(Reference, dtype: ScalarType.Float64), tensor(ReferenceMismatched, dtype: ScalarType.Float64)),
            tensor(Desirable));
        new KtoObjective(Beta, DesirableWeight, UndesirableWeight).Compute(inputs).Loss.backward();

        Assert.True(mismatched.grad is null || mismatched.grad.abs().sum().ToDouble() == 0);
        var grad = policy.grad!.data<double>().ToArray();
        for (var i = 0; i < 4; i++)
        {
            // d/dΔ of w(1 − σ(±β(Δ − z₀)))/B is ∓w·β·σ(x)(1 − σ(x))/B with x the sigmoid's argument.
            var x = Desirable[i] ? Beta * (Policy[i] - Reference[i] - Kl) : Beta * (Kl - (Policy[i] - Reference[i]));
            var slope = Sigmoid(x) * (1 - Sigmoid(x)) * Beta / 4;
            AssertClose(Desirable[i] ? -DesirableWeight * slope : UndesirableWeight * slope, grad[i]);
        }
    }

    [Fact]
    public void BatchWithoutUndesirableExamplesReportsNaNRejectedMetricsAndZeroInMargin()
    {
        using var scope = NewDisposeScope();
        var result = new KtoObjective(Beta, 1, 1).Compute(
            Inputs(Policy, PolicyMismatched, ReferenceMismatched, [true, true, true, true]));
        Assert.True(double.IsNaN(result.Metrics["rewards/rejected"]));
        Assert.True(double.IsNaN(result.Metrics["logps/rejected"]));
        AssertClose(Enumerable.Range(0, 4).Select(Reward).Average(), result.Metrics["rewards/margins"]);
    }

    [Fact]
    public void MismatchedOrderPairsEachPromptWithThePreviousCompletion()
    {
        Assert.Equal([3, 0, 1, 2], KtoObjective.MismatchedOrder(4));
        Assert.Equal([1, 0], KtoObjective.MismatchedOrder(2));
    }

    [Fact]
    public void RejectsPairedInputs()
    {
        using var scope = NewDisposeScope();
        var side = new PairLogProbs(tensor(Policy), tensor(Policy), tensor(new long[] { 1, 1, 1, 1 }), tensor(new long[] { 1, 1, 1, 1 }));
        var error = Assert.Throws<ArgumentException>(() => new KtoObjective(Beta, 1, 1).Compute(new PairedInputs(side, side)));
        Assert.StartsWith("objective 'kto' takes UnpairedInputs, got PairedInputs", error.Message);
    }
}
