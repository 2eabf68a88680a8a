using System.Text.Json;
using System.Text.Json.Nodes;
using Simper.Demo.Tasks;

namespace Simper.Demo;

/// <summary>How much of each kind of data the demo makes, and how bad the base model's habits are.</summary>
public sealed record DemoDataSettings
{
    /// <summary>SFT demonstrations per task family.</summary>
    public int SftExamplesPerFamily { get; init; } = 4000;
    /// <summary>Share of the demonstrations where the habit matters that show the habit instead of the right answer:
    /// above one half, so the habit, not the right answer, is what greedy decoding picks up.</summary>
    public double HabitShare { get; init; } = 0.65;
    /// <summary>Prompts per family the SFT model samples answers for, to build preference pairs from.</summary>
    public int PairPromptsPerFamily { get; init; } = 600;
    /// <summary>Held-out prompts per family for the greedy accuracy check (never trained on).</summary>
    public int EvalPromptsPerFamily { get; init; } = 400;
    public int Seed { get; init; } = 42;
}

/// <summary>
/// Writes the demo's datasets in TRL formats: SFT demonstrations (prompt/completion) with systematic bad habits,
/// prompts to sample from, and held-out evaluation prompts. Prompts are unique across the three sets.
/// </summary>
public static class DemoData
{
    public const string SftFile = "sft.jsonl";
    public const string PairPromptsFile = "pair_prompts.jsonl";
    public const string EvalPromptsFile = "eval_prompts.jsonl";

    public static void Write(string folder, DemoDataSettings settings, IReadOnlyList<IVerifiableTask> tasks)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(settings.Seed);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var eval = Draw(tasks, settings.EvalPromptsPerFamily, random, seen);
        var pairPrompts = Draw(tasks, settings.PairPromptsPerFamily, random, seen);
        var sft = Draw(tasks, settings.SftExamplesPerFamily, random, seen);
        WriteLines(Path.Combine(folder, EvalPromptsFile), eval.Select(PromptRow));
        WriteLines(Path.Combine(folder, PairPromptsFile), pairPrompts.Select(PromptRow));
        WriteLines(Path.Combine(folder, SftFile), sft.Select(instance => new JsonObject
        {
            ["prompt"] = instance.Prompt,
            ["completion"] = instance.HabitIsWrong && random.NextDouble() < settings.HabitShare ? instance.HabitAnswer : instance.Answer,
        }));
    }

    /// <summary>Reads the `prompt` field of every row of a JSONL file.</summary>
    public static IReadOnlyList<string> ReadPrompts(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0)
            .Select(l => JsonNode.Parse(l)!["prompt"]!.GetValue<string>()).ToList();

    public static void WriteLines(string path, IEnumerable<JsonObject> rows)
    {
        var temp = path + ".tmp";
        using (var writer = new StreamWriter(temp))
            foreach (var row in rows) writer.WriteLine(row.ToJsonString(LineJson));
        File.Move(temp, path, overwrite: true);
    }

    private static readonly JsonSerializerOptions LineJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static JsonObject PromptRow(TaskInstance instance) => new() { ["prompt"] = instance.Prompt, ["family"] = instance.Family };

    // Interleaves families so any prefix of a file is balanced; redraws prompts seen before.
    private static List<TaskInstance> Draw(IReadOnlyList<IVerifiableTask> tasks, int perFamily, Random random, HashSet<string> seen)
    {
        var drawn = new List<TaskInstance>();
        for (int i = 0; i < perFamily; i++)
            foreach (var task in tasks)
                for (int attempt = 0; attempt < 1000; attempt++)
                {
                    var instance = task.Sample(random);
                    if (!seen.Add(instance.Prompt)) continue;
                    drawn.Add(instance);
                    break;
                }
        return drawn;
    }
}
