using System.Text.Json.Nodes;
using Simper.Training;

namespace Simper.Tests.Training;

/// <summary>
/// The published preference datasets, as they are, preview and train for a few steps with the pretrained stories260K
/// model through the real command line: no code change per dataset, only options.
/// </summary>
public class RealDatasetTrainingTests
{
    public static TheoryData<string, string[]> Datasets => new()
    {
        { "hh-rlhf-harmless-base-test.jsonl.gz", [] },                       // implicit prompt
        { "dpo_en_demo.json", [] },                                          // ShareGPT style
        { "kto_en_demo.json", ["--method", "kto"] },                         // unpaired
        { "stack_exchange_paired_tiny.json", ["--field-map", "prompt=question,chosen=response_j,rejected=response_k"] },
    };

    [SkippableTheory]
    [MemberData(nameof(Datasets))]
    public void PreviewsAndTrainsAFewSteps(string file, string[] extra)
    {
        var model = SharedData.Path("data", "stories260K");
        var data = SharedData.Path("data", "preference", file);
        using var folder = new TempFolder();
        var method = extra.Length > 1 && extra[0] == "--method" ? extra[1] : "simper";
        var mapping = extra.Length > 1 && extra[0] == "--field-map" ? extra : [];

        var preview = Support.Cli.Run(["preview", "--model", model, "--data", data, "--rows", "2", "--format", "json", "--method", method, .. mapping]);
        Assert.True(preview.ExitCode == 0, preview.ToString());
        var rows = preview.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(2, rows.Count);

        var run = folder.File("run");
        var train = Support.Cli.Run(["train", "--model", model, "--data", data, "--output", run, "--max-steps", "2",
            "--batch-size", "2", "--gradient-accumulation-steps", "1", "--max-length", "96", "--max-prompt-length", "48",
            "--logging-steps", "1", "--save-steps", "0", "--threads", "2", .. extra]);

        Assert.True(train.ExitCode == 0, train.ToString());
        var metrics = MetricsLog.Read(Path.Combine(run, MetricsLog.FileName));
        Assert.Equal([1, 2], metrics.Select(m => m.Step));
        Assert.All(metrics, m => Assert.True(double.IsFinite(m[MetricNames.Loss]!.Value) && m[MetricNames.GradNorm] > 0));
        Assert.True(File.Exists(Path.Combine(run, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(run, "tokenizer.model")));
        Assert.True(File.Exists(Path.Combine(run, "loss.png")));
    }
}
