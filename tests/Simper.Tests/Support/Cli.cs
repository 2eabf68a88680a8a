using System.Diagnostics;

namespace Simper.Tests.Support;

/// <summary>What a `simper` process printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Runs the real `simper` command line in its own process (the CLI assembly is copied beside the tests), so tests
/// see exactly what a user sees: stdout, stderr and the exit code.
/// </summary>
public static class Cli
{
    private static readonly string Assembly = Path.Combine(AppContext.BaseDirectory, "Simper.Cli.dll");

    public static CliResult Run(params string[] args) => Run(args, workingDirectory: null);

    public static CliResult Run(IEnumerable<string> args, string? workingDirectory, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Assembly);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"simper {string.Join(' ', args)} did not finish");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
