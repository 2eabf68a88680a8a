namespace Simper.Tests.CliCommands;

public class RootCommandTests
{
    [Fact]
    public void HelpNamesTheCommandSimperWhateverTheAssembly()
    {
        var result = Support.Cli.Run("--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal("  simper [command] [options]", lines[lines.IndexOf("Usage:") + 1]);
        Assert.Contains(lines, l => l.StartsWith("  bench ", StringComparison.Ordinal));
    }

    [Fact]
    public void SubcommandUsageStartsWithSimper()
    {
        var result = Support.Cli.Run("preview", "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal("  simper preview [options]", lines[lines.IndexOf("Usage:") + 1]);
    }

    [Theory]
    [InlineData("train")]
    [InlineData("eval")]
    public void MethodHyperparametersAreDescribedPerMethod(string command)
    {
        var result = Support.Cli.Run(command, "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lambda = result.Stdout.Split('\n').Single(l => l.TrimStart().StartsWith("--lambda ", StringComparison.Ordinal));
        Assert.EndsWith("slic: weight of the NLL term on the chosen response (default 0.1); orpo: weight of the odds-ratio term (default 0.1)", lambda.TrimEnd());
    }

    [Fact]
    public void VersionPrintsTheAssemblyVersion()
    {
        var result = Support.Cli.Run("--version");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("1.0.0", result.Stdout);
    }
}
