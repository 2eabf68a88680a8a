namespace Simper.Distributed;

/// <summary>
/// The job this process belongs to, read from the environment the launcher sets: under Open MPI's <c>mpirun</c>
/// (OMPI_COMM_WORLD_SIZE present) the MPI communicator, otherwise the lone process, which loads no MPI library.
/// </summary>
public static class Communicators
{
    public const string WorldSizeVariable = "OMPI_COMM_WORLD_SIZE";
    public const string RankVariable = "OMPI_COMM_WORLD_RANK";
    public const string LocalSizeVariable = Runtime.RankThreads.LocalSizeVariable;
    public const string LocalRankVariable = "OMPI_COMM_WORLD_LOCAL_RANK";

    private static readonly Lazy<ICommunicator> _world = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The job's communicator, created (and MPI initialised) on first use.</summary>
    public static ICommunicator World => _world.Value;

    /// <summary>The job's communicator if it has been started, else null (never starts MPI).</summary>
    public static ICommunicator? Started => _world.IsValueCreated ? _world.Value : null;

    /// <summary>Whether this process was started by mpirun, without initialising anything.</summary>
    public static bool LaunchedByMpi => Environment.GetEnvironmentVariable(WorldSizeVariable) is not null;

    /// <summary>Ranks on this machine (1 outside mpirun), for dividing its cores between them.</summary>
    public static int LocalSize => Number(LocalSizeVariable) ?? 1;

    /// <summary>This process's rank from the launcher's environment (0 outside mpirun), readable before MPI starts.</summary>
    public static int EnvironmentRank => Number(RankVariable) ?? 0;

    private static ICommunicator Create() => LaunchedByMpi ? OpenMpiCommunicator.Initialize() : SingleProcess.Instance;

    private static int? Number(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var n) && n >= 0 ? n : null;
}
