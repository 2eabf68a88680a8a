using Simper.Checkpoints;
using Simper.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.CliCommands;

public class PerplexityCommandTests
{
    [SkippableFact]
    public void Stories260KOnTinyStoriesIsFiniteAndTheExponentOfTheMeanNll()
    {
        var result = CliAssert.JsonObject(Support.Cli.Run("perplexity", "--model", SharedData.Path("data", "stories260K"),
            "--text", SharedData.Path("data", "text", "tinystories_sample.txt")));

        var perplexity = result.GetProperty("perplexity").GetDouble();
        var tokens = result.GetProperty("tokens").GetInt64();
        var nll = result.GetProperty("nll").GetDouble();
        Assert.True(double.IsFinite(perplexity) && perplexity > 1 && perplexity < 512, $"perplexity {perplexity}");
        Assert.True(tokens > 1000, $"{tokens} tokens");
        CliAssert.Close(Math.Exp(nll / tokens), perplexity, 1e-12);
    }

    [SkippableFact]
    public void WindowsScoreEachTokenOnceAndOneWindowEqualsTheWholeSequence()
    {
        using var model = PretrainedModel.Load(SharedData.Path("data", "stories260K"), ScalarType.Float64, torch.CPU).Model;
        int[] ids = [1, .. Enumerable.Range(0, 40).Select(i => 300 + i % 37)];
        double whole;
        using (torch.no_grad())
        using (var batch = SequenceBatch.Collate([(ids[..1], ids[1..])], 0, torch.CPU))
        using (var scores = LogProbs.Compute(model, batch))
            whole = -scores.Sum.item<double>();

        var single = Perplexity.Compute(model, ids, maxLength: 64, stride: 64);
        Assert.Equal(40, single.Tokens);
        CliAssert.Close(whole, single.Nll, 1e-12);

        // Windows of 16 moving by 15 overlap by one token, so every token after the first is scored exactly once.
        var overlapping = Perplexity.Compute(model, ids, maxLength: 16, stride: 15);
        Assert.Equal(40, overlapping.Tokens);
        // Disjoint windows of 16 cannot score the first token of windows 2 and 3 (41 tokens = 16 + 16 + 9).
        Assert.Equal(38, Perplexity.Compute(model, ids, maxLength: 16, stride: 16).Tokens);
    }

    [SkippableFact]
    public void AMissingTextFileIsAUserError()
    {
        var result = Support.Cli.Run("perplexity", "--model", SharedData.Path("data", "stories260K"), "--text", "/no/such/file.txt");

        CliAssert.UserError(result, "/no/such/file.txt: file not found", alone: true);
    }
}
