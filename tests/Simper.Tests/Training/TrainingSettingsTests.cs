using System.Text.Json;
using Simper.Training;

namespace Simper.Tests.Training;

public class TrainingSettingsTests
{
    [Fact]
    public void DefaultsFollowThePaperWithASmallModelLearningRate()
    {
        var s = new TrainingSettings();
        Assert.Equal("simper", s.Method.Name);
        Assert.Equal(SchedulerKind.Cosine, s.LrScheduler);
        Assert.Equal(SchedulerKind.Cosine, s.SchedulerKind);
        Assert.Equal(0.1, s.WarmupRatio);
        Assert.Equal(1.0, s.Epochs);
        Assert.Equal(128, s.EffectiveBatchSize);
        Assert.Equal(0.9, s.AdamBeta1);
        Assert.Equal(0.999, s.AdamBeta2);
        Assert.Equal(5e-6, s.LearningRate);
        Assert.Equal(-1, s.MaxSteps);
        Assert.Equal(TruncationMode.KeepEnd, s.TruncationMode);
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, s.DType);
        Assert.Equal("cpu", s.Device);
        Assert.Empty(s.Hyperparameters);
    }

    [Fact]
    public void OptionTableCoversEveryOptionOnceWithHelpAndItsDefault()
    {
        string[] expected =
        [
            "method", "batch-size", "gradient-accumulation-steps", "learning-rate", "epochs", "max-steps", "warmup-ratio",
            "warmup-steps", "lr-scheduler", "weight-decay", "adam-beta1", "adam-beta2", "adam-epsilon", "max-grad-norm",
            "seed", "logging-steps", "save-steps", "save-strategy", "save-total-limit", "eval-steps", "max-length", "max-prompt-length",
            "truncation-mode", "dtype", "device", "threads", "packing", "gradient-checkpointing", "lora-rank", "lora-alpha",
            "lora-dropout", "lora-target-modules",
        ];
        Assert.Equal(expected, TrainingSettings.Options.Select(o => o.Name).ToArray());
        var fresh = new TrainingSettings();
        foreach (var option in TrainingSettings.Options)
        {
            Assert.False(string.IsNullOrWhiteSpace(option.Help), option.Name);
            Assert.DoesNotContain('\n', option.Help);
            Assert.Equal(option.DefaultValue, option.GetValue(fresh));
        }
        Assert.Equal(["cosine", "linear", "constant", "constant_with_warmup"], TrainingSettings.Find("lr_scheduler")!.Choices);
    }

    [Fact]
    public void YamlRecipeAcceptsKebabAndSnakeCaseKeysAndHyperparameters()
    {
        using var dir = new TempFolder();
        var path = dir.File("recipe.yaml");
        File.WriteAllText(path, """
            method: dpo
            learning_rate: 1e-6
            batch-size: 2
            gradient_accumulation_steps: 64
            lr-scheduler: linear
            warmup_ratio: 0.05
            hyperparameters:
              beta: 0.1
              gamma: 0.5
            """);
        var s = TrainingRecipe.Load(path);
        Assert.Equal("dpo", s.Method.Name);
        Assert.Equal(1e-6, s.LearningRate);
        Assert.Equal(2, s.BatchSize);
        Assert.Equal(64, s.GradientAccumulationSteps);
        Assert.Equal(SchedulerKind.Linear, s.SchedulerKind);
        Assert.Equal(0.05, s.WarmupRatio);
        Assert.Equal(new Dictionary<string, double> { ["beta"] = 0.1, ["gamma"] = 0.5 }, s.Hyperparameters);
        Assert.Equal(42, s.Seed); // untouched keys keep their defaults
    }

    [Fact]
    public void JsonRecipeIsReadToo()
    {
        using var dir = new TempFolder();
        var path = dir.File("recipe.json");
        File.WriteAllText(path, """{ "epochs": 3, "max_length": 1024, "hyperparameters": { "beta": 2.5 } }""");
        var s = TrainingRecipe.Load(path);
        Assert.Equal(3.0, s.Epochs);
        Assert.Equal(1024, s.MaxLength);
        Assert.Equal(2.5, s.Hyperparameters["beta"]);
    }

    [Fact]
    public void CommandLineOverridesTheRecipe()
    {
        using var dir = new TempFolder();
        var path = dir.File("recipe.yaml");
        File.WriteAllText(path, "learning-rate: 1e-6\nseed: 7\n");
        var s = TrainingRecipe.Load(path);
        s.Set("learning-rate", "2e-5", "--learning-rate");
        s.SetHyperparameter("beta=0.2", "--hyperparameter");
        Assert.Equal(2e-5, s.LearningRate);
        Assert.Equal(7, s.Seed);
        Assert.Equal(0.2, s.Hyperparameters["beta"]);
    }

    [Fact]
    public void UnknownKeyNamesFileLineAndKey()
    {
        using var dir = new TempFolder();
        var path = dir.File("recipe.yaml");
        File.WriteAllText(path, "seed: 1\nlerning-rate: 1e-6\n");
        var e = Assert.Throws<SimperException>(() => TrainingRecipe.Load(path));
        Assert.StartsWith($"{path}:2: lerning-rate: unknown key; expected one of method, batch-size,", e.Message);
    }

    [Theory]
    [InlineData("batch-size: zero", "batch-size: 'zero' is not valid for batch-size; expected an integer >= 1")]
    [InlineData("batch-size: 0", "batch-size: '0' is not valid for batch-size; expected an integer >= 1")]
    [InlineData("warmup_ratio: 1.5", "warmup_ratio: '1.5' is not valid for warmup-ratio; expected a number from 0 to 1")]
    [InlineData("learning-rate: 0", "learning-rate: '0' is not valid for learning-rate; expected a number > 0")]
    [InlineData("lr-scheduler: cosin",
        "lr-scheduler: 'cosin' is not valid for lr-scheduler; expected one of cosine, linear, constant, constant_with_warmup")]
    [InlineData("method: [dpo]", "method: found a list; expected one of simper, dpo, ipo, kto, cpo, slic, simpo, orpo, sft")]
    [InlineData("hyperparameters:\n  beta: high", "hyperparameters.beta: 'high' is not valid; expected a number")]
    public void BadValueNamesFileLineKeyAndExpectation(string yaml, string expected)
    {
        using var dir = new TempFolder();
        var path = dir.File("recipe.yaml");
        File.WriteAllText(path, "seed: 3\n" + yaml + "\n");
        var line = yaml.StartsWith("hyperparameters") ? 3 : 2;
        var e = Assert.Throws<SimperException>(() => TrainingRecipe.Load(path));
        Assert.Equal($"{path}:{line}: {expected}", e.Message);
    }

    [Fact]
    public void CrossOptionRulesAreChecked()
    {
        using var dir = new TempFolder();
        var path = dir.File("recipe.yaml");
        File.WriteAllText(path, "max-length: 256\nmax-prompt-length: 256\n");
        var e = Assert.Throws<SimperException>(() => TrainingRecipe.Load(path));
        Assert.Equal($"{path}: max-prompt-length 256 must be below max-length 256 to leave room for the response", e.Message);
    }

    [Fact]
    public void MalformedYamlIsAOneLineError()
    {
        using var dir = new TempFolder();
        var path = dir.File("recipe.yaml");
        File.WriteAllText(path, "seed: 1\nbatch-size: [1, 2\n");
        var e = Assert.Throws<SimperException>(() => TrainingRecipe.Load(path));
        Assert.StartsWith($"{path}:", e.Message);
        Assert.Contains("not valid YAML or JSON", e.Message);
    }

    [Fact]
    public void UnknownCommandLineOptionAndBadHyperparameterAreRejected()
    {
        var s = new TrainingSettings();
        Assert.StartsWith("--lr: unknown option 'lr'; expected one of method,",
            Assert.Throws<SimperException>(() => s.Set("lr", "1", "--lr")).Message);
        Assert.Equal("--hyperparameter: 'beta' is not a hyperparameter; expected name=number, e.g. beta=0.1",
            Assert.Throws<SimperException>(() => s.SetHyperparameter("beta", "--hyperparameter")).Message);
    }

    [Fact]
    public void SavedSettingsReloadToTheSameValues()
    {
        using var dir = new TempFolder();
        var s = new TrainingSettings();
        s.Set("method", "simpo", "test");
        s.Set("learning-rate", "3.3e-7", "test");
        s.Set("max-steps", "250", "test");
        s.SetHyperparameter("gamma=0.5", "test");
        var path = dir.File("settings.json");
        TrainingRecipe.Save(s, path);

        using (var doc = JsonDocument.Parse(File.ReadAllText(path)))
        {
            Assert.Equal("simpo", doc.RootElement.GetProperty("method").GetString());
            Assert.Equal(3.3e-7, doc.RootElement.GetProperty("learning-rate").GetDouble());
            Assert.Equal(250, doc.RootElement.GetProperty("max-steps").GetInt32());
            Assert.Equal(0.5, doc.RootElement.GetProperty("hyperparameters").GetProperty("gamma").GetDouble());
            // Every option, the hyperparameters, and the processes with the global batch they made (4 × 32 × 1).
            Assert.Equal(TrainingSettings.Options.Count + 3, doc.RootElement.EnumerateObject().Count());
            Assert.Equal(1, doc.RootElement.GetProperty(TrainingRecipe.ProcessesKey).GetInt32());
            Assert.Equal(s.EffectiveBatchSize, doc.RootElement.GetProperty(TrainingRecipe.GlobalBatchKey).GetInt32());
        }

        var reloaded = TrainingRecipe.Load(path);
        foreach (var option in TrainingSettings.Options)
            Assert.Equal(option.GetValue(s), option.GetValue(reloaded));
        Assert.Equal(s.Hyperparameters, reloaded.Hyperparameters);
    }

    [Fact]
    public void SettingsAreTypedAndTheMethodIsResolvedThroughTheCatalog()
    {
        using var dir = new TempFolder();
        var path = dir.File("recipe.yaml");
        File.WriteAllText(path, "method: kto\ngradient-checkpointing: true\ndtype: bfloat16\npacking: padded\ntruncation_mode: keep_start\nsave-strategy: no\n");
        var s = TrainingRecipe.Load(path);
        Assert.True(s.GradientCheckpointing);
        Assert.Equal(TorchSharp.torch.ScalarType.BFloat16, s.DType);
        Assert.Equal(Simper.Scoring.PairPacking.Padded, s.Packing);
        Assert.False(s.KeepPromptEnd);
        Assert.False(s.SavesCheckpoints);
        Assert.Same(Simper.Objectives.ObjectiveCatalog.Find("kto"), s.Objective);
        Assert.True(s.Objective!.Unpaired);
        Assert.Null(new TrainingSettings { Method = TrainingMethod.Sft }.Objective);

        var saved = dir.File("saved.json");
        TrainingRecipe.Save(s, saved);
        using (var doc = JsonDocument.Parse(File.ReadAllText(saved)))
        {
            Assert.Equal(JsonValueKind.True, doc.RootElement.GetProperty("gradient-checkpointing").ValueKind);
            Assert.Equal("bfloat16", doc.RootElement.GetProperty("dtype").GetString());
            Assert.Equal("keep_start", doc.RootElement.GetProperty("truncation-mode").GetString());
        }
        var reloaded = TrainingRecipe.Load(saved);
        foreach (var option in TrainingSettings.Options) Assert.Equal(option.GetValue(s), option.GetValue(reloaded));

        File.WriteAllText(path, "gradient-checkpointing: yes\n");
        Assert.Equal($"{path}:1: gradient-checkpointing: 'yes' is not valid for gradient-checkpointing; expected true or false",
            Assert.Throws<SimperException>(() => TrainingRecipe.Load(path)).Message);
    }

    [Fact]
    public void MaxPromptLengthDefaultsToHalfOfAShortMaxLength()
    {
        Assert.Equal(256, new TrainingSettings().EffectiveMaxPromptLength); // max-length 512
        Assert.Equal(128, new TrainingSettings { MaxLength = 256 }.EffectiveMaxPromptLength);
        Assert.Equal(300, new TrainingSettings { MaxLength = 1024, MaxPromptLength = 300 }.EffectiveMaxPromptLength);
        new TrainingSettings { MaxLength = 256 }.Validate("test"); // no longer "256 must be below 256"
    }

    [Fact]
    public void MissingRecipeIsAOneLineError()
    {
        var e = Assert.Throws<SimperException>(() => TrainingRecipe.Load("/nonexistent/recipe.yaml"));
        Assert.Equal("/nonexistent/recipe.yaml: recipe file not found", e.Message);
    }
}
