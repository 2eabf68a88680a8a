using Simper.Checkpoints;
using Simper.Data;
using Simper.Models;
using Simper.Objectives;
using Simper.Scoring;

namespace Simper.Tests.Library;

public class PreferenceEvaluationTests
{
    [Fact]
    public void AMethodWithoutReferenceDataIsScoredAgainstTheModelItself()
    {
        using var temp = new TempFolder();
        var model = ModelFolder.Open(Reliability.RunFixtures.TinyModel(temp.File("model")));
        var pairs = PairEncoding.Load(model, Reliability.RunFixtures.Pairs(temp.File("pairs.jsonl"), rows: 5), new DataOptions(),
            PairEncoding.Truncation(null, null), TextWriter.Null);
        var log = new StringWriter();

        var result = new PreferenceEvaluation { Model = model, Objective = ObjectiveCatalog.Create("dpo"), BatchSize = 2, Log = log }.Run(pairs);

        Assert.Equal(5, result.Scores.Count);
        Assert.Equal(5, result.Metrics["pairs"]);
        Assert.Equal(Math.Log(2), result.Metrics["loss"], 10); // policy == reference: every margin is 0
        var wins = Enumerable.Range(0, 5).Count(i => result.Scores.ChosenSums[i] > result.Scores.RejectedSums[i]);
        Assert.Equal(wins / 5.0, result.Metrics["rewards/accuracies"]);
        Assert.Equal(result.Scores.ChosenSums.Average(), result.Metrics["logps/chosen"]);
        Assert.Equal("reference log-probs: the model itself (no --ref-model and no ref fields in the data)\n", log.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void SettingErrorsNameTheSettingAndTheCommandLineNamesItsFlag()
    {
        using var temp = new TempFolder();
        var model = ModelFolder.Open(Reliability.RunFixtures.TinyModel(temp.File("model")));
        RandomModelFolder.Create(temp.File("other"), ModelPresets.Tiny with { VocabSize = 300 }, seed: 1);
        var pairs = PairEncoding.Load(model, Reliability.RunFixtures.Pairs(temp.File("pairs.jsonl"), rows: 2), new DataOptions(),
            PairEncoding.Truncation(null, null), TextWriter.Null);
        var evaluation = new PreferenceEvaluation { Model = model, Objective = ObjectiveCatalog.Create("dpo"), ReferenceModel = ModelFolder.Open(temp.File("other")) };

        var error = Assert.Throws<SettingException>(() => evaluation.Run(pairs));

        Assert.Equal($"reference_model {temp.File("other")}: vocabulary size 300 differs from the model's 261", error.Message);
        Assert.Equal($"--ref-model {temp.File("other")}: vocabulary size 300 differs from the model's 261", Cli.SettingFlags.Message(error));
        var truncation = Assert.Throws<SettingException>(() => PairEncoding.Truncation(100, 100));
        Assert.Equal("max_prompt_length 100: expected at least 1 and below max_length to leave room for the response", truncation.Message);
        Assert.Equal("--max-prompt-length 100: expected at least 1 and below --max-length to leave room for the response", Cli.SettingFlags.Message(truncation));
    }
}
