using System.Text.Json;
using Simper.Checkpoints;
using Simper.Models;
using Simper.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Packing;

/// <summary>Models, pairs and gradient helpers shared by the packing tests.</summary>
internal static class PackingFixtures
{
    public static readonly PairPacking[] AllModes = Enum.GetValues<PairPacking>();

    /// <summary>Llama layout with grouped-query attention (4 heads, 2 KV heads) and an untied head.</summary>
    public static LlamaForCausalLM RandomGqaModel(ScalarType dtype) => ModelFactory.CreateRandom(ModelConfig.Parse("""
        {
          "architectures": ["LlamaForCausalLM"], "model_type": "llama",
          "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
          "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 64,
          "max_position_embeddings": 128, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
          "tie_word_embeddings": false, "hidden_act": "silu", "initializer_range": 0.2
        }
        """), seed: 7, torch.CPU, dtype);

    /// <summary>Pairs whose prompts and responses all differ in length (1..14 prompt, 1..9 response tokens).</summary>
    public static List<(int[] Prompt, int[] Chosen, int[] Rejected)> VariedPairs(int count, int seed)
    {
        var random = new Random(seed);
        int[] Tokens(int min, int max) => [.. Enumerable.Range(0, random.Next(min, max + 1)).Select(_ => random.Next(3, 64))];
        return [.. Enumerable.Range(0, count).Select(_ => (Tokens(1, 14), Tokens(1, 9), Tokens(1, 9)))];
    }

    private sealed record FixturePair(int[] prompt_input_ids, int[] chosen_input_ids, int[] rejected_input_ids);

    public static (LlamaForCausalLM Model, List<(int[] Prompt, int[] Chosen, int[] Rejected)> Pairs) ParityFixture(ScalarType dtype, string kind = "llama")
    {
        var folder = SharedData.Path("fixtures", $"parity-{kind}");
        var pairs = File.ReadAllLines(Path.Combine(folder, "pairs.jsonl"))
            .Select(l => JsonSerializer.Deserialize<FixturePair>(l)!)
            .Select(p => (p.prompt_input_ids, p.chosen_input_ids, p.rejected_input_ids)).ToList();
        return (PretrainedModel.Load(Path.Combine(folder, "checkpoint"), dtype, torch.CPU).Model, pairs);
    }

    public static double[] Values(Tensor t)
    {
        using var d = t.detach().to(ScalarType.Float64);
        return d.data<double>().ToArray();
    }

    /// <summary>SimPER's loss: mean over pairs of −exp(S_w/|y_w|) + exp(S_l/|y_l|).</summary>
    public static Tensor SimperLoss(PairForwardScores s) =>
        (-(s.ChosenSum / s.ChosenCount).exp() + (s.RejectedSum / s.RejectedCount).exp()).mean();

    /// <summary>The SimPER loss's gradient for every parameter (by name), as doubles.</summary>
    public static Dictionary<string, double[]> SimperGradients(LlamaForCausalLM model, IReadOnlyList<(int[], int[], int[])> pairs, PairPacking mode)
    {
        using var scope = torch.NewDisposeScope();
        model.zero_grad();
        using var scores = PairForward.Score(model, pairs, mode, padId: 0);
        SimperLoss(scores).backward();
        var gradients = model.named_parameters().Where(p => p.parameter.requires_grad)
            .ToDictionary(p => p.name, p => p.parameter.grad is { } g ? Values(g) : []);
        model.zero_grad();
        return gradients;
    }

    /// <summary>Largest per-tensor ‖actual − expected‖ / ‖expected‖ over all parameters.</summary>
    public static double WorstRelativeError(Dictionary<string, double[]> expected, Dictionary<string, double[]> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        var worst = 0.0;
        foreach (var (name, e) in expected)
        {
            var a = actual[name];
            Assert.Equal(e.Length, a.Length);
            var norm = Math.Sqrt(e.Sum(x => x * x));
            var diff = Math.Sqrt(e.Zip(a, (x, y) => (x - y) * (x - y)).Sum());
            Assert.True(norm > 0, $"{name} has no gradient");
            worst = Math.Max(worst, diff / norm);
        }
        return worst;
    }
}
