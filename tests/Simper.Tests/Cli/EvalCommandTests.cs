using System.Globalization;
using System.Text.Json;

namespace Simper.Tests.CliCommands;

public class EvalCommandTests
{
    private static string Fixture(params string[] parts) => SharedData.Path(["fixtures", "parity-llama", .. parts]);

    private static JsonElement Expected()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixture("expected.json")));
        return document.RootElement.Clone();
    }

    private static double[] Numbers(JsonElement expected, string name) =>
        expected.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();

    [SkippableTheory]
    [InlineData("simper")]
    [InlineData("dpo")]
    [InlineData("ipo")]
    [InlineData("simpo")]
    [InlineData("cpo")]
    [InlineData("slic")]
    [InlineData("orpo")]
    public void LossOfEveryMethodMatchesTheReferenceImplementation(string method)
    {
        var entry = Expected().GetProperty("losses").GetProperty(method);
        List<string> args = ["eval", "--model", Fixture("checkpoint"), "--data", Fixture("pairs.jsonl"), "--method", method, "--dtype", "float64"];
        foreach (var hyperparameter in entry.GetProperty("hyperparameters").EnumerateObject())
        {
            // The fixture spells lambda as Python must (lam); the command line spells it out.
            var name = hyperparameter.Name == "lam" ? "lambda" : hyperparameter.Name;
            args.AddRange([$"--{name}", hyperparameter.Value.GetDouble().ToString("R", CultureInfo.InvariantCulture)]);
        }

        var result = CliAssert.JsonObject(Support.Cli.Run([.. args]));

        CliAssert.Close(entry.GetProperty("value").GetDouble(), result.GetProperty("loss").GetDouble(), 1e-5);
        Assert.Equal(6, result.GetProperty("pairs").GetInt32());
    }

    [SkippableFact]
    public void WithoutMethodReportsMeanLogProbsAccuracyAndPerPairRows()
    {
        var expected = Expected();
        var chosen = Numbers(expected, "chosen_logps_sum");
        var rejected = Numbers(expected, "rejected_logps_sum");
        using var folder = new TempFolder();
        var rowsFile = folder.File("rows.jsonl");

        var result = CliAssert.JsonObject(Support.Cli.Run("eval", "--model", Fixture("checkpoint"), "--data", Fixture("pairs.jsonl"),
            "--output", rowsFile, "--batch-size", "4"));

        CliAssert.Close(chosen.Average(), result.GetProperty("logps/chosen").GetDouble(), 1e-5);
        CliAssert.Close(rejected.Average(), result.GetProperty("logps/rejected").GetDouble(), 1e-5);
        var wins = chosen.Zip(rejected).Count(p => p.First > p.Second);
        Assert.Equal(wins / 6.0, result.GetProperty("rewards/accuracies").GetDouble());
        Assert.False(result.TryGetProperty("loss", out _));

        var rows = File.ReadAllLines(rowsFile).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(6, rows.Count);
        var chosenLengths = Numbers(expected, "chosen_len");
        var rejectedLengths = Numbers(expected, "rejected_len");
        for (var i = 0; i < rows.Count; i++)
        {
            CliAssert.Close(chosen[i], rows[i].GetProperty("chosen_logps").GetDouble(), 1e-5);
            CliAssert.Close(rejected[i], rows[i].GetProperty("rejected_logps").GetDouble(), 1e-5);
            Assert.Equal((int)chosenLengths[i], rows[i].GetProperty("chosen_tokens").GetInt32());
            Assert.Equal((int)rejectedLengths[i], rows[i].GetProperty("rejected_tokens").GetInt32());
        }
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void DpoAgainstItselfAsReferenceIsLn2WithZeroRewards(bool explicitReference)
    {
        var model = SharedData.Path("data", "stories260K");
        using var folder = new TempFolder();
        var pairs = folder.File("pairs.jsonl");
        File.WriteAllLines(pairs,
        [
            "{\"prompt\": \"Once upon a time\", \"chosen\": \" there was a little cat.\", \"rejected\": \" the big sky fell down.\"}",
            "{\"prompt\": \"Lily saw a dog\", \"chosen\": \" and she smiled.\", \"rejected\": \" purple seven.\"}",
        ]);
        List<string> args = ["eval", "--model", model, "--data", pairs, "--method", "dpo", "--beta", "0.3"];
        if (explicitReference) args.AddRange(["--ref-model", model]);

        var result = CliAssert.JsonObject(Support.Cli.Run([.. args]));

        // With the policy as its own reference every log-ratio is 0: loss = -log sigmoid(0) = ln 2.
        CliAssert.Close(Math.Log(2), result.GetProperty("loss").GetDouble(), 1e-12);
        Assert.Equal(0, result.GetProperty("rewards/margins").GetDouble());
        Assert.Equal(2, result.GetProperty("pairs").GetInt32());
    }

    [SkippableFact]
    public void TextPairsNeedATokenizerAndTheErrorSaysSo()
    {
        using var folder = new TempFolder();
        var pairs = folder.File("pairs.jsonl");
        File.WriteAllText(pairs, "{\"prompt\": \"Hi\", \"chosen\": \"Hello\", \"rejected\": \"Go away\"}\n");

        var result = Support.Cli.Run("eval", "--model", Fixture("checkpoint"), "--data", pairs);

        CliAssert.UserError(result, "has no tokenizer files");
    }

    [SkippableFact]
    public void AHyperparameterTheMethodDoesNotTakeIsAUserError()
    {
        var result = Support.Cli.Run("eval", "--model", Fixture("checkpoint"), "--data", Fixture("pairs.jsonl"), "--method", "simper", "--beta", "0.1");

        CliAssert.UserError(result, "objective 'simper' takes no hyperparameters", alone: true);
    }
}
