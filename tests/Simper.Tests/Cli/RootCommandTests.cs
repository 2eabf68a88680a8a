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
    public void EachCommandIsDescribedInOneShortLine()
    {
        var result = Support.Cli.Run("--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var commands = lines.Skip(lines.IndexOf("Commands:") + 1).Where(l => l.Length > 0).ToList();
        Assert.Equal(11, commands.Count); // each command one line: a description that wrapped would add lines
        Assert.All(commands, l => Assert.InRange(l.Length, 20, 200));
    }

    [Fact]
    public void BenchTakesTheBfloat16KernelsByName()
    {
        var result = Support.Cli.Run("bench", "--preset", "tiny", "--dtype", "bfloat16", "--bfloat16-kernels", "float32",
            "--steps", "1", "--warmup", "0", "--pairs", "1", "--prompt-length", "8", "--response-length", "4");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("float32", System.Text.Json.Nodes.JsonNode.Parse(result.Stdout)!["bfloat16_kernels"]!.GetValue<string>());
        var bad = Support.Cli.Run("bench", "--preset", "tiny", "--bfloat16-kernels", "fast");
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("error: --bfloat16-kernels fast: expected native, native-gemm, native-attention, float32", bad.Stderr.Trim());
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
