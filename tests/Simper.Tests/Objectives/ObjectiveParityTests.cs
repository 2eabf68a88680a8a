using System.Text.Json;
using Simper.Objectives;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Objectives;

/// <summary>
/// Every method in the parity fixture's expected.json, computed in float64 from the fixture's per-pair log-probs and
/// lengths at the fixture's hyperparameters, matches the independent reference implementation's batch-mean loss.
/// </summary>
public class ObjectiveParityTests
{
    // The fixture spells SLiC's and ORPO's λ as "lam"; the catalog shows it as "lambda".
    private static string CatalogName(string fixtureName) => fixtureName == "lam" ? "lambda" : fixtureName;

    [SkippableFact]
    public void EveryFixtureLossMatchesWithin1e5Relative()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(SharedData.Path("fixtures", "parity-llama", "expected.json")));
        var root = json.RootElement;
        Tensor Column(string name) => tensor(root.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray(), dtype: ScalarType.Float64);

        using var scope = NewDisposeScope();
        var policy = new PairLogProbs(Column("chosen_logps_sum"), Column("rejected_logps_sum"), Column("chosen_len"), Column("rejected_len"));
        var reference = new PairLogProbs(Column("reference_chosen_logps_sum"), Column("reference_rejected_logps_sum"),
            Column("chosen_len"), Column("rejected_len"));

        var methods = root.GetProperty("losses").EnumerateObject().ToList();
        Assert.Equal(["simper", "dpo", "ipo", "simpo", "cpo", "slic", "orpo"], methods.Select(m => m.Name));
        foreach (var method in methods)
        {
            var hyperparameters = method.Value.GetProperty("hyperparameters").EnumerateObject()
                .ToDictionary(p => CatalogName(p.Name), p => p.Value.GetDouble());
            var expected = method.Value.GetProperty("value").GetDouble();
            var objective = ObjectiveCatalog.Create(method.Name, hyperparameters);
            var actual = objective.Compute(new PairedInputs(policy, objective.NeedsReference ? reference : null)).Loss.ToDouble();
            Assert.True(Math.Abs(actual - expected) <= 1e-5 * Math.Abs(expected), $"{method.Name}: expected {expected:R}, got {actual:R}");
        }
    }
}
