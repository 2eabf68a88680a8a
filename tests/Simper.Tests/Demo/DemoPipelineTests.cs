using System.Text.Json.Nodes;

namespace Simper.Tests.Demo;

/// <summary>`simper demo` end to end at toy sizes: every stage runs, the report and its data are written, and
/// `simper demo report` rebuilds the same report from the files the stages left.</summary>
public class DemoPipelineTests
{
    [Fact]
    public void RunsEveryStageAndRebuildsTheReportFromItsFiles()
    {
        using var folder = new TempFolder();
        var output = folder.File("demo");

        var run = Support.Cli.Run("demo", "--output", output, "--sft-examples", "300", "--pair-prompts", "40", "--eval-prompts", "10",
            "--samples", "4", "--sft-epochs", "4", "--sft-learning-rate", "3e-3", "--align-epochs", "1", "--methods", "simper,dpo", "--learning-rates", "1e-4,1e-3",
            "--hidden-size", "32", "--layers", "1", "--threads", "1");

        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var file in new[] { "report.md", "report.json", "accuracy-vs-lr.png", "demo.json", "data/sft.jsonl", "data/pairs.jsonl",
                     "data/samples.jsonl", "data/eval_prompts.jsonl", "sft/model.safetensors", "runs/dpo-lr1e-3/metrics.jsonl", "scores/sft.json" })
            Assert.True(File.Exists(Path.Combine(output, file)), file);
        var pairs = File.ReadAllLines(Path.Combine(output, "data", "pairs.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.All(pairs, p => Assert.Equal(["prompt", "chosen", "rejected"], p.Select(kv => kv.Key)));
        var report = File.ReadAllText(Path.Combine(output, "report.md"));
        Assert.Contains("| Model | add | sort | reverse | count | format | Mean | Avg. rank |", report);
        Assert.Contains("simper sft --model", report);
        Assert.Contains("simper demo score --model", report);
        Assert.Contains("## Summary", report);
        Assert.StartsWith("| Model | Best lr | Mean at best | Avg. rank at best | Mean at 1e-4 | Avg. rank | Mean at 1e-3 | Avg. rank |", run.Stdout);
        Assert.Contains("\n| sft |", run.Stdout);

        // The printed data command, run again into another folder, writes the same datasets byte for byte.
        var dataCommand = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "demo.json")))!["Commands"]!.AsArray()
            .Select(c => c!.GetValue<string>()).Single(c => c.StartsWith("simper demo data ", StringComparison.Ordinal));
        var again = folder.File("again");
        var rerun = Support.Cli.Run(dataCommand.Replace(Path.Combine(output, "data"), again).Split(' ').Skip(1).ToArray());
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        foreach (var file in new[] { "sft.jsonl", "pair_prompts.jsonl", "eval_prompts.jsonl" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(output, "data", file)), File.ReadAllBytes(Path.Combine(again, file)));

        File.Delete(Path.Combine(output, "report.md"));
        var rebuilt = Support.Cli.Run("demo", "report", "--output", output);
        Assert.True(rebuilt.ExitCode == 0, rebuilt.ToString());
        Assert.Equal(report, File.ReadAllText(Path.Combine(output, "report.md")));
    }
}
