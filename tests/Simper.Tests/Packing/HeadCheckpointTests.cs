using Simper.Kernels;
using Simper.Models;
using Simper.Scoring;
using TorchSharp;
using static Simper.Tests.Packing.PackingFixtures;
using static TorchSharp.torch;

namespace Simper.Tests.Packing;

public class HeadCheckpointTests
{
    [Theory]
    [InlineData(ScalarType.Float32, false, 1e-5)]
    [InlineData(ScalarType.Float32, true, 1e-5)]
    [InlineData(ScalarType.Float64, false, 1e-10)]
    [InlineData(ScalarType.Float64, true, 1e-10)]
    public void RecomputedChunksGiveTheSameLogProbsAndGradientsAsTheWholeHead(ScalarType dtype, bool tied, double tolerance)
    {
        using var model = tied ? TiedModel(dtype) : RandomGqaModel(dtype);
        var plain = HeadRun(model, checkpointing: false, chunkRows: 5);
        var chunked = HeadRun(model, checkpointing: true, chunkRows: 5); // 17 positions: chunks of 5, 5, 5, 2
        foreach (var (name, expected) in plain)
            AssertRelative(expected, chunked[name], tolerance, name);
    }

    [Theory]
    [InlineData(ScalarType.Float32, false, 1e-5)]
    [InlineData(ScalarType.Float32, true, 1e-5)]
    [InlineData(ScalarType.Float64, false, 1e-10)]
    [InlineData(ScalarType.Float64, true, 1e-10)]
    [InlineData(ScalarType.BFloat16, false, 1e-5)]
    public void FrozenHeadGivesTheWholeHeadsLogProbsAndHiddenGradients(ScalarType dtype, bool tied, double tolerance)
    {
        // A frozen head (LoRA's) saves d log p / d hidden from the forward pass instead of recomputing the logits.
        using var model = tied ? TiedModel(dtype) : RandomGqaModel(dtype);
        model.OutputWeight.requires_grad_(false);
        var plain = HeadRun(model, checkpointing: false, chunkRows: 5);
        var chunked = HeadRun(model, checkpointing: true, chunkRows: 5);
        Assert.Equal(["log-probs", "logit sums", "hidden gradient"], chunked.Keys);
        foreach (var (name, expected) in plain)
            AssertRelative(expected, chunked[name], tolerance, name);
    }

    [Theory]
    [InlineData(17, 5, "0+5 5+5 10+5 15+2")]
    [InlineData(576, 512, "0+288 288+288")]
    [InlineData(512, 512, "0+512")]
    [InlineData(3, 512, "0+3")]
    [InlineData(0, 512, "0+0")]
    public void ChunksAreAsFewAsAllowedAndEvenlySized(long rows, long chunkRows, string expected) =>
        Assert.Equal(expected, string.Join(" ", HeadCheckpoint.Chunks(rows, chunkRows).Select(c => $"{c.Start}+{c.Length}")));

    [Fact]
    public void ChunkedHeadKeepsTheGraphOnlyWhereGradientsAreWanted()
    {
        using var model = RandomGqaModel(ScalarType.Float32);
        model.model.GradientCheckpointing = true;
        using var scope = torch.NewDisposeScope();
        var (hidden, targets) = Inputs(model, seed: 2);
        using (torch.no_grad())
            Assert.False(TargetLogProbs.Compute(model, hidden, targets, 4).LogProbs.requires_grad);
        var (logProbs, logitSums) = TargetLogProbs.Compute(model, hidden, targets, 4);
        Assert.True(logProbs.requires_grad);
        Assert.False(logitSums.requires_grad); // a metric, never differentiated
    }

    [Fact]
    public void Bfloat16HeadKeepsFloat32Logits()
    {
        // The bfloat16 weights and hidden states multiplied exactly: float32 logits agree with a float64 product of the
        // same values to float32 rounding, where a bfloat16 GEMM's rounded logits would be off by about 2^-9 of each.
        using var model = RandomGqaModel(ScalarType.BFloat16);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (hidden, targets) = Inputs(model, seed: 3);
        var (logProbs, logitSums) = TargetLogProbs.Compute(model, hidden, targets);
        var logits = nn.functional.linear(hidden.to(ScalarType.Float64), model.OutputWeight.to(ScalarType.Float64)); // [M, V]
        var expected = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - logits.logsumexp(-1);
        Assert.Equal(ScalarType.Float32, logProbs.dtype);
        AssertRelative(Values(expected), Values(logProbs), 1e-5, "log-probs");
        AssertRelative(Values(logits.sum(-1)), Values(logitSums), 1e-5, "logit sums");
    }

    /// <summary>Log-probs, logit sums and the gradients of a weighted sum of the log-probs, by name.</summary>
    private static Dictionary<string, double[]> HeadRun(LlamaForCausalLM model, bool checkpointing, long chunkRows)
    {
        model.model.GradientCheckpointing = checkpointing;
        model.zero_grad();
        using var scope = torch.NewDisposeScope();
        var (hidden, targets) = Inputs(model, seed: 1);
        hidden.requires_grad_(true);
        var (logProbs, logitSums) = TargetLogProbs.Compute(model, hidden, targets, chunkRows);
        var weights = torch.linspace(-1, 2, logProbs.size(0), dtype: logProbs.dtype); // [M], every position's gradient differs
        (logProbs * weights).sum().backward();
        var result = new Dictionary<string, double[]>
        {
            ["log-probs"] = Values(logProbs),
            ["logit sums"] = Values(logitSums),
            ["hidden gradient"] = Values(hidden.grad!),
        };
        if (model.OutputWeight.requires_grad) result["head weight gradient"] = Values(model.OutputWeight.grad!);
        model.zero_grad();
        return result;
    }

    /// <summary>17 hidden states [17, H] in the model's dtype and target ids [17].</summary>
    private static (Tensor Hidden, Tensor Targets) Inputs(LlamaForCausalLM model, int seed)
    {
        using var generator = new torch.Generator((ulong)seed);
        var hidden = torch.randn(17, model.Config.HiddenSize, generator: generator).to(model.Dtype);
        var targets = torch.randint(0, model.Config.VocabSize, [17], generator: generator);
        return (hidden, targets);
    }

    private static LlamaForCausalLM TiedModel(ScalarType dtype) => ModelFactory.CreateRandom(ModelConfig.Parse("""
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama",
          "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 1,
          "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 64,
          "max_position_embeddings": 64, "tie_word_embeddings": true, "hidden_act": "silu", "initializer_range": 0.2
        }
        """), seed: 5, torch.CPU, dtype);

    private static void AssertRelative(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var norm = Math.Sqrt(expected.Sum(x => x * x));
        var difference = Math.Sqrt(expected.Zip(actual, (x, y) => (x - y) * (x - y)).Sum());
        Assert.True(norm > 0, $"{what} is all zeros");
        Assert.True(difference <= tolerance * norm, $"{what}: relative difference {difference / norm:g3} > {tolerance:g1}");
    }
}
