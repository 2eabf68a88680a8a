using System.Globalization;
using Simper.Checkpoints;
using System.Text.Json;
using Simper.Tests.CliCommands;
using Simper.Training;

namespace Simper.Tests.Families;

/// <summary>The family fixtures through the command line and the trainer, as parity-llama runs through them.</summary>
[Collection(nameof(FamilyModelTests))]
public class FamilyCommandTests
{
    private static string Fixture(string kind, params string[] parts) => SharedData.Path(["fixtures", $"parity-{kind}", .. parts]);

    private static JsonElement Expected(string kind)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixture(kind, "expected.json")));
        return document.RootElement.Clone();
    }

    [SkippableTheory]
    [MemberData(nameof(FamilyFixtures.Kinds), MemberType = typeof(FamilyFixtures))]
    public void EveryMethodsLossThroughEvalMatchesTheReference(string kind)
    {
        var methods = Expected(kind).GetProperty("losses").EnumerateObject().ToList();
        Assert.Equal(["simper", "dpo", "ipo", "simpo", "cpo", "slic", "orpo"], methods.Select(m => m.Name));
        foreach (var method in methods)
        {
            List<string> args = ["eval", "--model", Fixture(kind, "checkpoint"), "--data", Fixture(kind, "pairs.jsonl"), "--method", method.Name, "--dtype", "float64"];
            foreach (var hyperparameter in method.Value.GetProperty("hyperparameters").EnumerateObject())
                args.AddRange([$"--{(hyperparameter.Name == "lam" ? "lambda" : hyperparameter.Name)}", hyperparameter.Value.GetDouble().ToString("R", CultureInfo.InvariantCulture)]);
            var result = CliAssert.JsonObject(Support.Cli.Run([.. args]));
            CliAssert.Close(method.Value.GetProperty("value").GetDouble(), result.GetProperty("loss").GetDouble(), 1e-5);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(FamilyFixtures.Kinds), MemberType = typeof(FamilyFixtures))]
    public void OneSimperStepLogsTheReferenceGradientNorm(string kind)
    {
        var expected = Expected(kind);
        using var output = new TempFolder();
        var settings = new TrainingSettings { BatchSize = 6, GradientAccumulationSteps = 1, MaxSteps = 1, LoggingSteps = 1, SaveSteps = 0 };
        new TrainingJob { Model = ModelFolder.Open(Fixture(kind, "checkpoint")), DataPath = Fixture(kind, "pairs.jsonl"), OutputPath = output.File("run"), Settings = settings }
            .Run(new TextProgressSink(TextWriter.Null), TextWriter.Null);
        var logged = MetricsLog.Read(Path.Combine(output.File("run"), MetricsLog.FileName)).Single();
        var reference = expected.GetProperty("simper_grad_norm").GetDouble();
        var gradNorm = logged[MetricNames.GradNorm]!.Value;
        Assert.True(Math.Abs(gradNorm - reference) <= 1e-4 * reference, $"grad_norm {gradNorm} vs reference {reference}");
        Assert.Equal(expected.GetProperty("losses").GetProperty("simper").GetProperty("value").GetDouble(), logged[MetricNames.Loss]!.Value, 1e-6);
    }
}
