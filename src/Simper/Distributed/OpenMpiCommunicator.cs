using System.Runtime.InteropServices;

namespace Simper.Distributed;

/// <summary>
/// MPI_COMM_WORLD of Open MPI, through its C API in <c>libmpi.so.40</c>. Open MPI's handles are the addresses of
/// exported globals (<c>ompi_mpi_comm_world</c>, <c>ompi_mpi_float</c>, <c>ompi_mpi_op_sum</c>…) and its
/// <c>MPI_IN_PLACE</c> is <c>(void*)1</c>; MPI.NET is not used because it loads Windows' msmpi.dll. Errors keep MPI's
/// default handler, which aborts the whole job rather than leaving ranks waiting.
/// </summary>
public sealed unsafe class OpenMpiCommunicator : ICommunicator
{
    public const string LibraryName = "libmpi.so.40";
    public const string InstallHint = "install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev)";

    // Sends of more elements than an int counts are split: MPI's counts are C ints.
    private const int MaxCount = 1 << 30;
    private static readonly nint InPlace = 1;

    private readonly nint _world, _float, _double, _byte, _int, _sum;
    private readonly delegate* unmanaged<nint, nint, int, nint, nint, nint, int> _allreduce;
    private readonly delegate* unmanaged<nint, int, nint, int, nint, int> _bcast;
    private readonly delegate* unmanaged<nint, int, nint, nint, int, nint, int, nint, int> _gather;
    private readonly delegate* unmanaged<nint, int, nint, nint, int*, int*, nint, int, nint, int> _gatherv;
    private readonly delegate* unmanaged<nint, int> _barrier;
    private readonly delegate* unmanaged<nint, int, int> _abort;
    private readonly delegate* unmanaged<int> _finalize;

    public int Rank { get; }
    public int Size { get; }

    private OpenMpiCommunicator(nint library)
    {
        nint Export(string name) => NativeLibrary.GetExport(library, name);
        (_world, _float, _double, _byte, _int, _sum) = (Export("ompi_mpi_comm_world"), Export("ompi_mpi_float"),
            Export("ompi_mpi_double"), Export("ompi_mpi_byte"), Export("ompi_mpi_int"), Export("ompi_mpi_op_sum"));
        _allreduce = (delegate* unmanaged<nint, nint, int, nint, nint, nint, int>)Export("MPI_Allreduce");
        _bcast = (delegate* unmanaged<nint, int, nint, int, nint, int>)Export("MPI_Bcast");
        _gather = (delegate* unmanaged<nint, int, nint, nint, int, nint, int, nint, int>)Export("MPI_Gather");
        _gatherv = (delegate* unmanaged<nint, int, nint, nint, int*, int*, nint, int, nint, int>)Export("MPI_Gatherv");
        _barrier = (delegate* unmanaged<nint, int>)Export("MPI_Barrier");
        _abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        _finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");

        var init = (delegate* unmanaged<nint, nint, int>)Export("MPI_Init");
        Check(init(0, 0), "MPI_Init");
        int rank, size;
        Check(((delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank"))(_world, &rank), "MPI_Comm_rank");
        Check(((delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size"))(_world, &size), "MPI_Comm_size");
        (Rank, Size) = (rank, size);
    }

    /// <summary>Loads Open MPI and initialises MPI (once per process, through <see cref="Communicators.World"/>).</summary>
    internal static OpenMpiCommunicator Initialize()
    {
        if (!NativeLibrary.TryLoad(LibraryName, out var library))
            throw new SimperException($"started by mpirun but Open MPI's library {LibraryName} is not found; {InstallHint}");
        var communicator = new OpenMpiCommunicator(library);
        // A rank that returns normally finalizes; one that failed calls Abort instead (Finalize would wait for the others).
        AppDomain.CurrentDomain.ProcessExit += (_, _) => communicator.FinalizeMpi();
        return communicator;
    }

    public void AllReduceSum(Span<float> values)
    {
        fixed (float* data = values)
            for (int start = 0; start < values.Length; start += MaxCount)
                Check(_allreduce(InPlace, (nint)(data + start), Math.Min(MaxCount, values.Length - start), _float, _sum, _world), "MPI_Allreduce");
    }

    public void AllReduceSum(Span<double> values)
    {
        fixed (double* data = values)
            for (int start = 0; start < values.Length; start += MaxCount)
                Check(_allreduce(InPlace, (nint)(data + start), Math.Min(MaxCount, values.Length - start), _double, _sum, _world), "MPI_Allreduce");
    }

    public void Broadcast(Span<byte> bytes, int root)
    {
        fixed (byte* data = bytes)
            for (int start = 0; start < bytes.Length; start += MaxCount)
                Check(_bcast((nint)(data + start), Math.Min(MaxCount, bytes.Length - start), _byte, root, _world), "MPI_Bcast");
    }

    public IReadOnlyList<byte[]> Gather(ReadOnlySpan<byte> bytes, int root)
    {
        int length = bytes.Length;
        var lengths = new int[Rank == root ? Size : 0];
        fixed (int* counts = lengths)
            Check(_gather((nint)(&length), 1, _int, (nint)counts, 1, _int, root, _world), "MPI_Gather");
        var offsets = new int[lengths.Length];
        for (int i = 1; i < offsets.Length; i++) offsets[i] = checked(offsets[i - 1] + lengths[i - 1]);
        var all = new byte[lengths.Sum()];
        fixed (byte* send = bytes)
        fixed (byte* receive = all)
        fixed (int* counts = lengths)
        fixed (int* displacements = offsets)
            Check(_gatherv((nint)send, length, _byte, (nint)receive, counts, displacements, _byte, root, _world), "MPI_Gatherv");
        return Rank != root ? [] : lengths.Select((n, i) => all.AsSpan(offsets[i], n).ToArray()).ToList();
    }

    public void Barrier() => Check(_barrier(_world), "MPI_Barrier");

    public void Abort(int exitCode)
    {
        Console.Error.Flush();
        _abort(_world, exitCode);
    }

    private int _finalized;

    private void FinalizeMpi()
    {
        if (Interlocked.Exchange(ref _finalized, 1) == 0) _finalize();
    }

    private static void Check(int code, string call)
    {
        if (code != 0) throw new SimperException($"{call} failed with MPI error {code}");
    }
}
