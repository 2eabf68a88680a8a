using System.Text.Json.Nodes;
using Simper.Demo.Tasks;

namespace Simper.Demo;

/// <summary>
/// Builds preference pairs from a model's own samples, as the SimPER paper's instruct setting does: for each prompt,
/// a sample the verifier accepts is chosen and one it rejects is rejected. Prompts whose samples are all right or
/// all wrong give no pair.
/// </summary>
public static class PreferencePairs
{
    public sealed record Summary(int Prompts, int Samples, int Correct, int Pairs);

    /// <summary>Reads `simper generate` output rows (prompt, completion) and writes TRL standard pairs (prompt, chosen, rejected).</summary>
    public static Summary FromSamples(string samplesPath, string pairsPath, int seed)
    {
        var random = new Random(seed);
        var byPrompt = File.ReadLines(samplesPath).Where(l => l.Length > 0)
            .Select(l => JsonNode.Parse(l)!.AsObject())
            .GroupBy(row => row["prompt"]!.GetValue<string>())
            .ToList();
        int samples = 0, correct = 0;
        var pairs = new List<JsonObject>();
        foreach (var group in byPrompt)
        {
            var task = TaskCatalog.ForPrompt(group.Key);
            var completions = group.Select(r => r["completion"]!.GetValue<string>()).ToList();
            var verified = completions.Select(c => (Text: c, Right: task.Verify(group.Key, c))).ToList();
            var right = verified.Where(v => v.Right).Select(v => v.Text).Distinct().ToList();
            // An empty completion is a wrong answer too, but preference data may not hold empty responses.
            var wrong = verified.Where(v => !v.Right && v.Text.Length > 0).Select(v => v.Text).Distinct().ToList();
            samples += completions.Count;
            correct += verified.Count(v => v.Right);
            if (right.Count == 0 || wrong.Count == 0) continue;
            pairs.Add(new JsonObject
            {
                ["prompt"] = group.Key,
                ["chosen"] = right[random.Next(right.Count)],
                ["rejected"] = wrong[random.Next(wrong.Count)],
            });
        }
        DemoData.WriteLines(pairsPath, pairs);
        return new Summary(byPrompt.Count, samples, correct, pairs.Count);
    }
}
