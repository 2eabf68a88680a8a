using System.Text.Json.Nodes;
using Simper.Checkpoints;
using Simper.Data;
using Simper.Demo;
using Simper.Models;
using Simper.Objectives;
using Simper.Scoring;
using Simper.Text;
using Simper.Training;
using TorchSharp;

namespace Simper.Tests.Training;

/// <summary>
/// The whole base pipeline on a fresh model, trained for real: supervised fine-tuning, then SimPER on preference
/// pairs; on held-out pairs the SimPER loss falls and the preference accuracy rises.
/// </summary>
public class SftThenSimperTests
{
    [Fact]
    public void SimperAfterSftLowersHeldOutLossAndRaisesAccuracy()
    {
        using var folder = new TempFolder();
        RandomModelFolder.Create(folder.File("base"), ModelPresets.Tiny, seed: 1);
        // The base habit: answering a word with itself or with its upper-case form, half and half.
        // The preference: upper case over a plain copy.
        var random = new Random(1);
        DemoData.WriteLines(folder.File("sft.jsonl"), Enumerable.Range(0, 400).Select(i =>
        {
            var word = Word(random);
            return new JsonObject { ["prompt"] = $"say {word}=", ["completion"] = i % 2 == 0 ? word.ToUpperInvariant() : word };
        }));
        WritePairs(folder.File("train.jsonl"), 200, random);
        WritePairs(folder.File("heldout.jsonl"), 64, random);

        Run(TrainingSettings.SftMethod, folder.File("base"), folder.File("sft.jsonl"), folder.File("sft"), 3e-3, epochs: 2, batch: 32);
        var before = HeldOut(folder.File("sft"), folder.File("heldout.jsonl"));
        Run("simper", folder.File("sft"), folder.File("train.jsonl"), folder.File("simper"), 3e-3, epochs: 4, batch: 16);
        var after = HeldOut(folder.File("simper"), folder.File("heldout.jsonl"));

        var change = $"SimPER loss {before["loss"]:F4} -> {after["loss"]:F4}, accuracy {before["rewards/accuracies"]:F3} -> {after["rewards/accuracies"]:F3}";
        Assert.True(after["loss"] < before["loss"] - 0.05, change);
        Assert.True(after["rewards/accuracies"] > before["rewards/accuracies"] + 0.2, change);
    }

    private static void Run(string method, string model, string data, string output, double lr, double epochs, int batch) =>
        new TrainingJob
        {
            Model = ModelFolder.Open(model), DataPath = data, OutputPath = output,
            Settings = new TrainingSettings
            {
                Method = method, LearningRate = lr, Epochs = epochs, BatchSize = batch, GradientAccumulationSteps = 1,
                SaveSteps = 0, Threads = 2, MaxLength = 64, MaxPromptLength = 32,
            },
        }.Run(new TextProgressSink(TextWriter.Null), TextWriter.Null);

    private static Dictionary<string, double> HeldOut(string modelDir, string pairsPath)
    {
        var encoder = new ExampleEncoder(ModelText.Load(modelDir), TruncationOptions.None);
        var pairs = encoder.EncodePairs(DatasetLoader.LoadPreferences(pairsPath, new DataOptions()).Examples);
        var (model, _) = PretrainedModel.Load(modelDir, torch.ScalarType.Float32, torch.CPU);
        using (model)
        using (torch.no_grad())
        {
            var scores = PairScorer.Score(model, pairs, batchSize: 64, padId: 0);
            return PairEvaluation.Evaluate(ObjectiveCatalog.Create("simper"), scores, null);
        }
    }

    private static string Word(Random random) =>
        new(Enumerable.Range(0, random.Next(3, 7)).Select(_ => (char)('a' + random.Next(26))).ToArray());

    private static void WritePairs(string path, int count, Random random) =>
        DemoData.WriteLines(path, Enumerable.Range(0, count).Select(_ =>
        {
            var word = Word(random);
            return new JsonObject { ["prompt"] = $"say {word}=", ["chosen"] = word.ToUpperInvariant(), ["rejected"] = word };
        }));
}
