using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simper.Tests.Training;

public class PrecomputeRefTests
{
    [SkippableFact]
    public void WritesTheModelsSummedLogProbsAsReferenceFields()
    {
        var fixture = SharedData.Path("fixtures", "parity-llama");
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture, "expected.json")));
        using var folder = new TempFolder();
        // The fixture's pairs without their reference fields: the checkpoint itself becomes the reference.
        File.WriteAllLines(folder.File("pairs.jsonl"), File.ReadLines(Path.Combine(fixture, "pairs.jsonl")).Select(line =>
        {
            var row = JsonNode.Parse(line)!.AsObject();
            row.Remove("ref_chosen_logps");
            row.Remove("ref_rejected_logps");
            return row.ToJsonString();
        }));

        var result = Support.Cli.Run("precompute-ref", "--model", Path.Combine(fixture, "checkpoint"), "--data", folder.File("pairs.jsonl"),
            "--output", folder.File("with-ref.jsonl"));

        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = File.ReadAllLines(folder.File("with-ref.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        var chosen = expected.RootElement.GetProperty("chosen_logps_sum").EnumerateArray().Select(e => e.GetDouble()).ToList();
        var rejected = expected.RootElement.GetProperty("rejected_logps_sum").EnumerateArray().Select(e => e.GetDouble()).ToList();
        Assert.Equal(6, rows.Count);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(chosen[i], rows[i]!["ref_chosen_logps"]!.GetValue<double>(), 1e-4);
            Assert.Equal(rejected[i], rows[i]!["ref_rejected_logps"]!.GetValue<double>(), 1e-4);
        }
        Assert.Equal([99, 21, 34, 66, 80, 66, 88, 8, 41], rows[0]!["prompt_input_ids"]!.AsArray().Select(n => n!.GetValue<int>()));
    }
}
