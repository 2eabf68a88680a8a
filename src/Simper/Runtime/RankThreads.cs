namespace Simper.Runtime;

/// <summary>
/// The CPU threads a process uses by default when several ranks of one job share a machine: the cores this process
/// may run on (its affinity or cpuset, which .NET's processor count honours) divided by the ranks on the machine,
/// so ranks do not oversubscribe the cores between them. Alone, libtorch's own default stands.
/// </summary>
public static class RankThreads
{
    /// <summary>Ranks of the job on this machine, as Open MPI's mpirun tells each of them.</summary>
    public const string LocalSizeVariable = "OMPI_COMM_WORLD_LOCAL_SIZE";

    /// <summary>Threads for one of <paramref name="localRanks"/> ranks that may run on <paramref name="cores"/> cores.</summary>
    public static int For(int cores, int localRanks) => Math.Max(1, cores / Math.Max(1, localRanks));

    /// <summary>The default for this process, or null when it is alone on its machine (libtorch's default then).</summary>
    public static int? Default() =>
        int.TryParse(Environment.GetEnvironmentVariable(LocalSizeVariable), out var ranks) && ranks > 1
            ? For(Environment.ProcessorCount, ranks) : null;
}
