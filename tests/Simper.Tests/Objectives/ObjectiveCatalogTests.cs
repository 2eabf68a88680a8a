using Simper.Objectives;

namespace Simper.Tests.Objectives;

public class ObjectiveCatalogTests
{
    [Fact]
    public void NamesAreTheEightObjectivesWithSimperFirstAndDefault()
    {
        Assert.Equal(["simper", "dpo", "ipo", "kto", "cpo", "slic", "simpo", "orpo"], ObjectiveCatalog.Names);
        Assert.Equal("simper", ObjectiveCatalog.DefaultName);
    }

    [Theory]
    [InlineData("simper", "", false, false)]
    [InlineData("dpo", "beta=0.1", true, false)]
    [InlineData("ipo", "beta=0.1", true, false)]
    [InlineData("kto", "beta=0.1 desirable-weight=1 undesirable-weight=1", true, true)]
    [InlineData("cpo", "beta=0.1 alpha=1", false, false)]
    [InlineData("slic", "delta=1 lambda=0.1", false, false)]
    [InlineData("simpo", "beta=2 gamma=0.5", false, false)]
    [InlineData("orpo", "lambda=0.1", false, false)]
    public void EntryDeclaresDefaultsAndNeedsAndTheBuiltObjectiveAgrees(string name, string defaults, bool needsReference, bool unpaired)
    {
        var info = ObjectiveCatalog.Find(name);
        Assert.Equal(defaults, string.Join(" ", info.Hyperparameters.Select(h => $"{h.Name}={h.Default}")));
        Assert.Equal(needsReference, info.NeedsReference);
        Assert.Equal(unpaired, info.Unpaired);
        Assert.False(string.IsNullOrWhiteSpace(info.Description));
        Assert.All(info.Hyperparameters, h => Assert.False(string.IsNullOrWhiteSpace(h.Help)));

        var objective = ObjectiveCatalog.Create(name);
        Assert.Equal(name, objective.Name);
        Assert.Equal(needsReference, objective.NeedsReference);
        Assert.Equal(unpaired, objective.Unpaired);
    }

    [Fact]
    public void DefaultsReachTheObjectiveAndOverridesReplaceThem()
    {
        var simpo = Assert.IsType<SimpoObjective>(ObjectiveCatalog.Create("simpo"));
        Assert.Equal((2.0, 0.5), (simpo.Beta, simpo.Gamma));
        var slic = Assert.IsType<SlicObjective>(ObjectiveCatalog.Create("slic", new Dictionary<string, double> { ["lambda"] = 0.5 }));
        Assert.Equal((1.0, 0.5), (slic.Delta, slic.Lambda));
        var kto = Assert.IsType<KtoObjective>(ObjectiveCatalog.Create("KTO", new Dictionary<string, double> { ["undesirable-weight"] = 1.33 }));
        Assert.Equal((0.1, 1.0, 1.33), (kto.Beta, kto.DesirableWeight, kto.UndesirableWeight));
    }

    [Fact]
    public void UnknownObjectiveListsTheValidNames()
    {
        var error = Assert.Throws<SimperException>(() => ObjectiveCatalog.Create("sft"));
        Assert.Equal("unknown objective 'sft'; expected one of: simper, dpo, ipo, kto, cpo, slic, simpo, orpo", error.Message);
    }

    [Fact]
    public void HyperparameterTheObjectiveDoesNotTakeIsRejectedNamingTheValidOnes()
    {
        var error = Assert.Throws<SimperException>(() =>
            ObjectiveCatalog.Create("cpo", new Dictionary<string, double> { ["gamma"] = 1 }));
        Assert.Equal("objective 'cpo' has no hyperparameter 'gamma'; expected one of: beta, alpha", error.Message);

        var none = Assert.Throws<SimperException>(() =>
            ObjectiveCatalog.Create("simper", new Dictionary<string, double> { ["beta"] = 0.1 }));
        Assert.Equal("objective 'simper' takes no hyperparameters, got 'beta'", none.Message);
    }

    [Theory]
    [InlineData("dpo", "beta", 0.0, "hyperparameter 'beta' of objective 'dpo' is 0; expected a finite number > 0")]
    [InlineData("slic", "delta", -1.5, "hyperparameter 'delta' of objective 'slic' is -1.5; expected a finite number >= 0")]
    [InlineData("orpo", "lambda", double.NaN, "hyperparameter 'lambda' of objective 'orpo' is NaN; expected a finite number >= 0")]
    public void OutOfRangeValueIsRejected(string name, string parameter, double value, string message)
    {
        var error = Assert.Throws<SimperException>(() =>
            ObjectiveCatalog.Create(name, new Dictionary<string, double> { [parameter] = value }));
        Assert.Equal(message, error.Message);
    }
}
