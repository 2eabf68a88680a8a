using Simper.Bench;
using Simper.Data;
using Simper.Models;
using Simper.Scoring;
using Simper.Text;

namespace Simper.Tests.Bench;

public class TrainingFlopsTests
{
    // hidden 8, 1 layer, 2 heads of 4, 1 KV head, intermediate 16, vocabulary 32, untied head.
    private static readonly ModelPreset Small = new("small", HiddenSize: 8, NumHiddenLayers: 1, NumAttentionHeads: 2,
        NumKeyValueHeads: 1, IntermediateSize: 16, MaxPositionEmbeddings: 64, TieWordEmbeddings: false);

    [Fact]
    public void NonEmbeddingParametersLeaveOutTheInputTableOnly()
    {
        using var model = ModelFactory.CreateRandom(Small.ToConfig(32, 1, 2, 0), seed: 1);
        // q 8·8, k 8·4, v 8·4, o 8·8, gate/up/down 3·8·16, two layer norms 2·8, final norm 8, head 32·8.
        const long expected = 64 + 32 + 32 + 64 + 384 + 16 + 8 + 256;
        Assert.Equal(expected, TrainingFlops.NonEmbeddingParameters(model));
    }

    [Fact]
    public void TiedEmbeddingIsCountedOnceAsTheHead()
    {
        using var model = ModelFactory.CreateRandom((Small with { TieWordEmbeddings = true }).ToConfig(32, 1, 2, 0), seed: 1);
        Assert.Equal(64 + 32 + 32 + 64 + 384 + 16 + 8 + 256, TrainingFlops.NonEmbeddingParameters(model));
    }

    [Fact]
    public void HeadParametersAreTheOutputMatrix()
    {
        using var untied = ModelFactory.CreateRandom(Small.ToConfig(32, 1, 2, 0), seed: 1);
        using var tied = ModelFactory.CreateRandom((Small with { TieWordEmbeddings = true }).ToConfig(32, 1, 2, 0), seed: 1);
        Assert.Equal(32 * 8, TrainingFlops.HeadParameters(untied));
        Assert.Equal(32 * 8, TrainingFlops.HeadParameters(tied));
    }

    [Fact]
    public void TrainingFlopsFollowPalmsFormulaWithTheHeadAtScoredPositions()
    {
        // N = 1000 of which the head 200, L = 2, d = 16; two sequences of 3 and 5 tokens, 4 of them scored:
        // 6·800·8 + 6·200·4 + 12·2·16·(9 + 25) = 38400 + 4800 + 13056.
        var blocks = new[] { new AttendedBlock(3, 3), new AttendedBlock(5, 5) };
        Assert.Equal(56256, TrainingFlops.Training(1000, 200, 2, 16, 8, 4, blocks));
        Assert.Equal(56256 / 3.0, TrainingFlops.Forward(1000, 200, 2, 16, 8, 4, blocks), 9);
        // Every token scored: PaLM's 6·N·T + 12·L·d·Σ s².
        Assert.Equal(61056, TrainingFlops.Training(1000, 200, 2, 16, 8, 8, blocks));
    }

    [Fact]
    public void FrozenWeightsCountNoWeightGradient()
    {
        // As above, with 500 of the 800 body parameters frozen and the head frozen: 4 FLOPs per token for those,
        // 56256 − 2·500·8 − 2·200·4 = 56256 − 8000 − 1600.
        var blocks = new[] { new AttendedBlock(3, 3), new AttendedBlock(5, 5) };
        Assert.Equal(46656, TrainingFlops.Training(1000, 200, 2, 16, 8, 4, blocks, new FrozenParameters(500, 200)));
    }

    [Fact]
    public void LoraFreezesTheBaseBodyAndTheHead()
    {
        using var model = ModelFactory.CreateRandom(Small.ToConfig(32, 1, 2, 0), seed: 1);
        Assert.Equal(new FrozenParameters(0, 0), TrainingFlops.Frozen(model));
        BenchModels.ApplyLora(model, rank: 2);
        // The body's weights and norms stay as counted above, now frozen; the adapters (2·(8 + out) per projection,
        // 2·(16 + 12 + 12 + 16 + 24 + 24 + 24) = 256) train; the head is frozen; the input table is not counted.
        Assert.Equal(new FrozenParameters(64 + 32 + 32 + 64 + 384 + 16 + 8, 256), TrainingFlops.Frozen(model));
        Assert.Equal(64 + 32 + 32 + 64 + 384 + 16 + 8 + 256 + 256, TrainingFlops.NonEmbeddingParameters(model));
    }

    [Fact]
    public void SharedPromptCountsThePromptOnceAndTheRejectedBlockAgainstIt()
    {
        var pair = new EncodedPair([5, 6, 7], [8, 9], [10], null, null, new RowSource("t", 0));
        // Padded: (3+2)² + (3+1)², 5 + 4 tokens. Shared prompt: 5·5 for prompt + chosen, 1·(3+1) for rejected; 3 + 2 + 1 tokens.
        Assert.Equal([new AttendedBlock(5, 5), new AttendedBlock(4, 4)], BenchBatches.Blocks([pair], PairPacking.Padded));
        Assert.Equal(9, BenchBatches.Tokens([pair], PairPacking.PaddingFree));
        Assert.Equal([new AttendedBlock(5, 5), new AttendedBlock(1, 4)], BenchBatches.Blocks([pair], PairPacking.SharedPromptPaddingFree));
        Assert.Equal(6, BenchBatches.Tokens([pair], PairPacking.SharedPrompt));
        Assert.Equal(3, BenchBatches.Scored([pair]));
    }

    [Fact]
    public void SpreadLengthsDrawSequencesOf32To320Tokens()
    {
        var batch = BenchBatches.Create(200, BenchLengths.Spread, 0, 0, vocabSize: 50, new Random(3));
        var lengths = batch.SelectMany(p => new[] { p.Prompt.Length + p.Chosen.Length, p.Prompt.Length + p.Rejected.Length }).ToList();
        Assert.InRange(lengths.Min(), 32, 40);
        Assert.InRange(lengths.Max(), 310, 320);
        Assert.All(batch.SelectMany(p => p.Prompt.Concat(p.Chosen).Concat(p.Rejected)), id => Assert.InRange(id, BenchBatches.FirstOrdinaryId, 49));
    }
}
