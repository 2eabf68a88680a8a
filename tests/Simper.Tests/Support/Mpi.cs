using System.Diagnostics;

namespace Simper.Tests.Support;

/// <summary>
/// Runs the real `simper` command line under Open MPI's mpirun, over TCP on loopback (`--mca btl tcp,self`), as a
/// user on one machine would. Tests that need it skip, naming the package, where Open MPI is not installed.
/// </summary>
public static class Mpi
{
    private static readonly Lazy<string?> Launcher = new(() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists));

    public static void SkipUnlessInstalled() =>
        Skip.If(Launcher.Value is null || !File.Exists("/usr/lib/x86_64-linux-gnu/libmpi.so.40") && !File.Exists("/usr/lib/libmpi.so.40"),
            "Open MPI is not installed; install the Debian packages openmpi-bin and libopenmpi-dev to run this test.");

    /// <summary>Starts `mpirun -np <paramref name="ranks"/> simper …`; the caller waits or signals it.</summary>
    public static Process Start(int ranks, IEnumerable<string> args)
    {
        SkipUnlessInstalled();
        var start = new ProcessStartInfo(Launcher.Value!)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        // Root in a container, more ranks than free cores on a busy machine, and no high-speed network probing.
        foreach (var arg in (string[])["--allow-run-as-root", "--oversubscribe", "--mca", "btl", "tcp,self",
                     "--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo", "-x", "OMP_WAIT_POLICY",
                     // On SIGTERM mpirun sends its ranks SIGCONT, SIGTERM after this many seconds, SIGKILL as many later:
                     // time for a tiny model's step and checkpoint on a busy machine.
                     "--mca", "odls_base_sigkill_timeout", "3",
                     "-np", ranks.ToString(), "dotnet", Path.Combine(AppContext.BaseDirectory, "Simper.Cli.dll"), .. args])
            start.ArgumentList.Add(arg);
        start.Environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1";
        return Process.Start(start)!;
    }

    public static CliResult Run(int ranks, params string[] args)
    {
        using var process = Start(ranks, args);
        return Finish(process);
    }

    /// <summary>Waits for a started process (mpirun or simper) and collects what it printed.</summary>
    public static CliResult Finish(Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{process.StartInfo.FileName} {string.Join(' ', process.StartInfo.ArgumentList)} did not finish");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The process id of rank <paramref name="rank"/>, a child of <paramref name="mpirun"/>, once it has started.</summary>
    public static int RankProcess(Process mpirun, int rank)
    {
        for (var clock = Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromMinutes(2); Thread.Sleep(50))
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
                    if (parent == mpirun.Id && File.ReadAllText(Path.Combine(dir, "environ")).Split('\0').Contains($"OMPI_COMM_WORLD_RANK={rank}"))
                        return pid;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // the process ended meanwhile
            }
        throw new TimeoutException($"rank {rank} of mpirun {mpirun.Id} did not start");
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    public static void Signal(int pid, int signal) => Assert.Equal(0, kill(pid, signal));

    public const int SigTerm = 15, SigKill = 9;
}
