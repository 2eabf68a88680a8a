using System.Diagnostics;

namespace Simper.Demo;

/// <summary>Runs a `simper` command as a child process and hands back what it printed to stderr.</summary>
public static class ChildProcess
{
    /// <summary>
    /// Starts <paramref name="args"/> with <paramref name="simper"/>, waits for it, and writes its stderr (progress
    /// and messages) to <paramref name="log"/>; its stdout (data) is not needed, as the demo's stages write files.
    /// A non-zero exit is a <see cref="SimperException"/> carrying the command's last stderr line.
    /// </summary>
    public static void Run(Func<IReadOnlyList<string>, ProcessStartInfo> simper, IReadOnlyList<string> args, TextWriter log)
    {
        var start = simper(args);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start)
                            ?? throw new SimperException($"could not start {start.FileName} for simper {string.Join(' ', args)}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        _ = stdout.Result;
        log.Write(stderr.Result);
        if (process.ExitCode != 0)
        {
            var last = stderr.Result.TrimEnd().Split('\n').LastOrDefault(l => l.Length > 0) ?? "(nothing on stderr)";
            throw new SimperException($"simper {string.Join(' ', args.Take(2))} exited with code {process.ExitCode}: {last.Trim()}");
        }
    }
}
