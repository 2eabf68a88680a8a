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
            "--samples", "4", "--sft-epochs", "4", "--align-epochs", "1", "--methods", "simper,dpo", "--learning-rates", "1e-4,1e-3",
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
        Assert.StartsWith("| Model |", run.Stdout);
        Assert.Contains("\n| sft |", run.Stdout);

        File.Delete(Path.Combine(output, "report.md"));
        var rebuilt = Support.Cli.Run("demo", "report", "--output", output);
        Assert.True(rebuilt.ExitCode == 0, rebuilt.ToString());
        Assert.Equal(report, File.ReadAllText(Path.Combine(output, "report.md")));
    }
}
