using System.Text.Json;
using Simper.Scoring;
using TorchSharp;
using static Simper.Tests.Packing.PackingFixtures;
using static TorchSharp.torch;

namespace Simper.Tests.Packing;

public class PairForwardTests
{
    private sealed record Expected(double[] chosen_logps_sum, double[] rejected_logps_sum, double[] chosen_len, double[] rejected_len);

    [SkippableTheory]
    [InlineData(ScalarType.Float32, 1e-5)]
    [InlineData(ScalarType.Float64, 1e-9)]
    public void EveryModeMatchesPaddedAndTheReferenceOnTheParityFixture(ScalarType dtype, double tolerance)
    {
        var (model, pairs) = ParityFixture(dtype);
        using var _ = model;
        var expected = JsonSerializer.Deserialize<Expected>(File.ReadAllText(Path.Combine(SharedData.Path("fixtures", "parity-llama"), "expected.json")))!;
        using var noGrad = torch.no_grad();
        foreach (var mode in AllModes)
        {
            using var s = PairForward.Score(model, pairs, mode, padId: 0);
            Assert.Equal(expected.chosen_len, Values(s.ChosenCount));
            Assert.Equal(expected.rejected_len, Values(s.RejectedCount));
            // The reference was computed independently in float64; float32 adds its own rounding.
            var referenceTolerance = dtype == ScalarType.Float64 ? tolerance : 1e-4;
            AssertClose(expected.chosen_logps_sum, Values(s.ChosenSum), referenceTolerance, $"{mode} chosen");
            AssertClose(expected.rejected_logps_sum, Values(s.RejectedSum), referenceTolerance, $"{mode} rejected");
        }
        AssertModesAgree(model, pairs, tolerance);
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1e-5)]
    [InlineData(ScalarType.Float64, 1e-9)]
    public void EveryModeMatchesPaddedOnVariedLengths(ScalarType dtype, double tolerance)
    {
        using var model = RandomGqaModel(dtype);
        var pairs = VariedPairs(7, seed: 11);
        // Edge cases: an empty prompt (first response tokens have no predictor), an empty rejected response.
        pairs.Add(([], [5, 6, 7], [8, 9]));
        pairs.Add(([4, 5], [6], []));
        using var noGrad = torch.no_grad();
        AssertModesAgree(model, pairs, tolerance);
    }

    [Fact]
    public void ProcessedTokensAreCountedAsByHand()
    {
        using var model = RandomGqaModel(ScalarType.Float32);
        // (prompt, chosen, rejected) lengths (3, 2, 4) and (1, 3, 1).
        List<(int[], int[], int[])> pairs = [([3, 4, 5], [6, 7], [8, 9, 10, 11]), ([12], [13, 14, 15], [16])];
        using var noGrad = torch.no_grad();
        // Padded: rows 5, 4, 7, 2 tokens, 4 rows of 7. SharedPrompt: rows 9 and 5, 2 rows of 9.
        (PairPacking Mode, long Tokens, long Positions)[] expected =
            [(PairPacking.Padded, 18, 28), (PairPacking.SharedPrompt, 14, 18), (PairPacking.PaddingFree, 18, 18), (PairPacking.SharedPromptPaddingFree, 14, 14)];
        foreach (var (mode, tokens, positions) in expected)
        {
            using var s = PairForward.Score(model, pairs, mode, padId: 0);
            Assert.Equal((tokens, positions), (s.Tokens, s.Positions));
            Assert.Equal(new double[] { 2, 3 }, Values(s.ChosenCount));
            Assert.Equal(new double[] { 4, 1 }, Values(s.RejectedCount));
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1e-4)]
    [InlineData(ScalarType.Float64, 1e-9)]
    public void SimperGradientsAgreeAcrossModes(ScalarType dtype, double tolerance)
    {
        using var model = RandomGqaModel(dtype);
        var pairs = VariedPairs(6, seed: 5);
        var padded = SimperGradients(model, pairs, PairPacking.Padded);
        foreach (var mode in AllModes.Where(m => m != PairPacking.Padded))
        {
            var error = WorstRelativeError(padded, SimperGradients(model, pairs, mode));
            Assert.True(error < tolerance, $"{mode}: relative gradient error {error:g3}");
        }
    }

    [SkippableFact]
    public void SimperGradientNormMatchesTheReferenceInEveryMode()
    {
        var (model, pairs) = ParityFixture(ScalarType.Float64);
        using var _ = model;
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedData.Path("fixtures", "parity-llama"), "expected.json")));
        var norm = expected.RootElement.GetProperty("simper_grad_norm").GetDouble();
        foreach (var mode in AllModes)
        {
            var gradients = SimperGradients(model, pairs, mode);
            Assert.Equal(norm, Math.Sqrt(gradients.Values.Sum(g => g.Sum(x => x * x))), 1e-9);
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1e-5)]
    [InlineData(ScalarType.Float64, 1e-9)]
    public void PackedSequencesMatchThePaddedBatch(ScalarType dtype, double tolerance)
    {
        using var model = RandomGqaModel(dtype);
        var rows = VariedPairs(6, seed: 2).Select(p => (p.Prompt, p.Chosen)).ToList();
        using var noGrad = torch.no_grad();
        using var padded = SequenceForward.Score(model, rows, packed: false, padId: 0);
        using var packed = SequenceForward.Score(model, rows, packed: true, padId: 0);
        AssertClose(Values(padded.Sum), Values(packed.Sum), tolerance, "sum");
        AssertClose(Values(padded.LogitSum), Values(packed.LogitSum), tolerance * 10, "logit sum");
        Assert.Equal(Values(padded.Count), Values(packed.Count));
        Assert.Equal(rows.Sum(r => (long)r.Prompt.Length + r.Chosen.Length), packed.Tokens);
        Assert.Equal(packed.Tokens, packed.Positions);
        Assert.Equal(rows.Count * rows.Max(r => r.Prompt.Length + r.Chosen.Length), padded.Positions);
    }

    private static void AssertModesAgree(Simper.Models.LlamaForCausalLM model, IReadOnlyList<(int[], int[], int[])> pairs, double tolerance)
    {
        using var padded = PairForward.Score(model, pairs, PairPacking.Padded, padId: 0);
        foreach (var mode in AllModes.Where(m => m != PairPacking.Padded))
        {
            using var s = PairForward.Score(model, pairs, mode, padId: 0);
            AssertClose(Values(padded.ChosenSum), Values(s.ChosenSum), tolerance, $"{mode} chosen");
            AssertClose(Values(padded.RejectedSum), Values(s.RejectedSum), tolerance, $"{mode} rejected");
            Assert.Equal(Values(padded.ChosenCount), Values(s.ChosenCount));
            Assert.Equal(Values(padded.RejectedCount), Values(s.RejectedCount));
            // Logit sums add up to V logits per token, so they carry V times the rounding.
            AssertClose(Values(padded.ChosenLogitSum), Values(s.ChosenLogitSum), tolerance * 10, $"{mode} chosen logits");
            AssertClose(Values(padded.RejectedLogitSum), Values(s.RejectedLogitSum), tolerance * 10, $"{mode} rejected logits");
        }
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }
}
