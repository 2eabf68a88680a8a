using System.Text.Json;
using Simper.Objectives;
using Simper.Training;
using static Simper.Tests.Reliability.RunFixtures;

namespace Simper.Tests.CliCommands;

public class TrainCommandTests
{
    private static JsonElement SavedSettings(string run)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, RunFolder.SettingsFile)));
        return document.RootElement.Clone();
    }

    [Fact]
    public void MaxLengthAloneDerivesThePromptLimitAndTheDataIsCountedOnce()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var run = temp.File("run");

        var result = Support.Cli.Run(Train(model, Pairs(temp.File("d.jsonl"), rows: 5), run, "--max-length", "256", "--max-steps", "1"));

        Assert.True(result.ExitCode == 0, result.ToString());
        var settings = SavedSettings(run);
        Assert.Equal(256, settings.GetProperty("max-length").GetInt32());
        Assert.Equal(128, settings.GetProperty("max-prompt-length").GetInt32()); // min(256, 256 / 2)
        // One line counts the data: five pairs are five examples, not ten encoded responses.
        var counts = result.Stderr.Split('\n').Where(l => l.Contains(" examples", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            [$"training simper on 5 examples; 0 prompts and 0 responses truncated; 0 dropped (no room for a response); writing to {Path.GetFullPath(run)}"],
            counts);
    }

    [Fact]
    public void AShortMaxLengthHalvesThePromptLimitAndAnExplicitOneIsStillChecked()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = Pairs(temp.File("d.jsonl"));

        var shortRun = Support.Cli.Run(Train(model, data, temp.File("short"), "--max-length", "40", "--max-steps", "1"));
        Assert.True(shortRun.ExitCode == 0, shortRun.ToString());
        Assert.Equal(20, SavedSettings(temp.File("short")).GetProperty("max-prompt-length").GetInt32());

        var clash = Support.Cli.Run(Train(model, data, temp.File("clash"), "--max-length", "256", "--max-prompt-length", "256"));
        CliAssert.UserError(clash, "command line: max-prompt-length 256 must be below max-length 256 to leave room for the response", alone: true);
        Assert.False(Directory.Exists(temp.File("clash")));
    }

    [Fact]
    public void SaveStrategyNoWritesNoCheckpointButTheFinalModel()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = Pairs(temp.File("d.jsonl"));

        var none = temp.File("none");
        var result = Support.Cli.Run(Train(model, data, none, "--max-steps", "2", "--save-steps", "1", "--save-strategy", "no"));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(Directory.EnumerateDirectories(none, "*checkpoint*"));
        Assert.True(File.Exists(Path.Combine(none, "model.safetensors")));
        Assert.Equal("no", SavedSettings(none).GetProperty("save-strategy").GetString());

        // --save-steps 0 keeps its meaning: no checkpoint during the run, one resumable checkpoint at the end.
        var atEnd = temp.File("at-end");
        Assert.Equal(0, Support.Cli.Run(Train(model, data, atEnd, "--max-steps", "2", "--save-steps", "0")).ExitCode);
        Assert.Equal(["checkpoint-2"], Directory.EnumerateDirectories(atEnd, "checkpoint-*").Select(Path.GetFileName));
        Assert.True(File.Exists(Path.Combine(atEnd, "checkpoint-2", "optimizer.bin")));

        var typo = Support.Cli.Run(Train(model, data, temp.File("typo"), "--save-strategy", "epoch"));
        CliAssert.UserError(typo, "--save-strategy: 'epoch' is not valid for save-strategy; expected one of steps, no", alone: true);
    }

    [Fact]
    public void SavedSettingsHoldEveryHyperparameterOfTheMethodDefaultsIncluded()
    {
        using var temp = new TempFolder();
        var model = TinyModel(temp.File("model"));
        var data = Pairs(temp.File("d.jsonl"));

        var dpo = temp.File("dpo");
        Assert.Equal(0, Support.Cli.Run(Train(model, data, dpo, "--method", "dpo", "--max-steps", "1")).ExitCode);
        Assert.Equal(0.1, SavedSettings(dpo).GetProperty("hyperparameters").GetProperty("beta").GetDouble());
        Assert.Single(SavedSettings(dpo).GetProperty("hyperparameters").EnumerateObject());

        var simpo = temp.File("simpo");
        Assert.Equal(0, Support.Cli.Run(Train(model, data, simpo, "--method", "simpo", "--gamma", "0.25", "--max-steps", "1")).ExitCode);
        var saved = SavedSettings(simpo).GetProperty("hyperparameters").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(new Dictionary<string, double> { ["beta"] = 2.0, ["gamma"] = 0.25 }, saved);
        Assert.Equal(ObjectiveCatalog.Find("simpo").Hyperparameters.Select(h => h.Name).Order(), saved.Keys.Order());

        // The saved file is a recipe: it reloads to the values the run used.
        var reloaded = TrainingRecipe.Load(Path.Combine(simpo, RunFolder.SettingsFile));
        Assert.Equal(2.0, reloaded.Hyperparameters["beta"]);
        Assert.Equal(256, reloaded.MaxPromptLength);
    }
}
