using System.Text.Json;
using Simper.Scoring;
using TorchSharp;
using static Simper.Tests.Packing.PackingFixtures;
using static TorchSharp.torch;

namespace Simper.Tests.Families;

/// <summary>
/// Each family's fixture (../shared/fixtures/parity-&lt;kind&gt;, an independent float64 reference following
/// transformers) against the one model: summed log-probs in every batching mode and the SimPER gradient norm.
/// </summary>
public class FamilyParityTests
{
    private sealed record Expected(double[] chosen_logps_sum, double[] rejected_logps_sum, double[] chosen_len, double[] rejected_len,
        double simper_grad_norm);

    private static Expected Read(string kind) =>
        JsonSerializer.Deserialize<Expected>(File.ReadAllText(SharedData.Path("fixtures", $"parity-{kind}", "expected.json")))!;

    [SkippableTheory]
    [InlineData("mistral-swa", ScalarType.Float32, 1e-4)]
    [InlineData("mistral-swa", ScalarType.Float64, 1e-9)]
    [InlineData("qwen3", ScalarType.Float32, 1e-4)]
    [InlineData("qwen3", ScalarType.Float64, 1e-9)]
    [InlineData("phi3", ScalarType.Float32, 1e-4)]
    [InlineData("phi3", ScalarType.Float64, 1e-9)]
    [InlineData("gemma2", ScalarType.Float32, 1e-4)]
    [InlineData("gemma2", ScalarType.Float64, 1e-9)]
    [InlineData("gemma3", ScalarType.Float32, 1e-4)]
    [InlineData("gemma3", ScalarType.Float64, 1e-9)]
    public void SummedLogProbsMatchTheReferenceInEveryMode(string kind, ScalarType dtype, double tolerance)
    {
        var (model, pairs) = ParityFixture(dtype, kind);
        using var _ = model;
        var expected = Read(kind);
        using var noGrad = torch.no_grad();
        foreach (var mode in AllModes)
        {
            using var s = PairForward.Score(model, pairs, mode, padId: 0);
            Assert.Equal(expected.chosen_len, Values(s.ChosenCount));
            Assert.Equal(expected.rejected_len, Values(s.RejectedCount));
            AssertClose(expected.chosen_logps_sum, Values(s.ChosenSum), tolerance, $"{kind} {mode} chosen");
            AssertClose(expected.rejected_logps_sum, Values(s.RejectedSum), tolerance, $"{kind} {mode} rejected");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(FamilyFixtures.Kinds), MemberType = typeof(FamilyFixtures))]
    public void SimperGradientNormMatchesTheReferenceInEveryMode(string kind)
    {
        var (model, pairs) = ParityFixture(ScalarType.Float64, kind);
        using var _ = model;
        var norm = Read(kind).simper_grad_norm;
        foreach (var mode in AllModes)
        {
            var gradients = SimperGradients(model, pairs, mode);
            Assert.Equal(norm, Math.Sqrt(gradients.Values.Sum(g => g.Sum(x => x * x))), 1e-9);
        }
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }
}
