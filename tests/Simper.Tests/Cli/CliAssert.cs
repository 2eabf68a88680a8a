using System.Text.Json;

namespace Simper.Tests.CliCommands;

/// <summary>Checks shared by the command tests.</summary>
internal static class CliAssert
{
    /// <summary>Exit 0 and the stdout parsed as one JSON object.</summary>
    public static JsonElement JsonObject(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Stdout);
        return document.RootElement.Clone();
    }

    /// <summary>
    /// A user error: exit 2, nothing on stdout, no stack trace, and the error as the last stderr line, starting with
    /// "error:" and holding <paramref name="fragment"/>. Progress lines may come before it unless <paramref name="alone"/>.
    /// </summary>
    public static void UserError(CliResult result, string fragment, bool alone = false)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal("", result.Stdout);
        var lines = result.Stderr.TrimEnd('\n').Split('\n');
        Assert.True(!alone || lines.Length == 1, result.ToString());
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.StartsWith("error: ", lines[^1]);
        Assert.Contains(fragment, lines[^1]);
    }

    public static void Close(double expected, double actual, double relative)
    {
        var error = Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-300);
        Assert.True(error <= relative, $"expected {expected:R}, got {actual:R} (relative error {error:E2} > {relative:E0})");
    }
}
