// <readme>
using Simper.Checkpoints;
using Simper.Models;
using Simper.Training;
// </readme>

namespace Simper.Tests.Library;

/// <summary>
/// The program of README.md's "As a library" section, compiled here so it cannot stop compiling unnoticed; the lines
/// between the readme markers are the README's code block (a test compares them).
/// </summary>
internal static class ReadmeSample
{
    public static TrainingSummary Run()
    {
        // <readme>
        // A tiny random Llama with a byte-level tokenizer (what `simper init` writes) and three preference pairs.
        RandomModelFolder.Create("tiny", ModelPresets.Tiny, seed: 1, overwrite: true);
        File.WriteAllLines("pairs.jsonl",
        [
            """{"prompt": "2 + 2 = ", "chosen": "4", "rejected": "5"}""",
            """{"prompt": "The capital of France is ", "chosen": "Paris", "rejected": "Rome"}""",
            """{"prompt": "The opposite of hot is ", "chosen": "cold", "rejected": "warm"}""",
        ]);

        var job = new TrainingJob
        {
            Model = ModelFolder.Open("tiny"), // config, tokenizer and chat template, read once; weights load in Run
            DataPath = "pairs.jsonl",
            OutputPath = "aligned",
            Overwrite = true,
            Settings = new TrainingSettings
            {
                Method = "simper", LearningRate = 1e-4, BatchSize = 3, GradientAccumulationSteps = 1, MaxSteps = 2,
            },
        };
        var summary = job.Run(new TextProgressSink(Console.Error), Console.Error);
        Console.WriteLine($"{summary.Steps} steps; the aligned model is in {Path.GetFullPath("aligned")}");
        // </readme>
        return summary;
    }
}
