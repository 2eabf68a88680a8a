namespace Simper.Distributed;

/// <summary>
/// The collective operations data-parallel training, sampling and scoring need, over the processes of one job
/// (ranks 0 .. <see cref="Size"/> − 1). Every rank calls each operation in the same order; a rank that skips one
/// leaves the others waiting. One implementation runs over Open MPI (<see cref="OpenMpiCommunicator"/>), one is the
/// lone process (<see cref="SingleProcess"/>); another engine (NCCL for GPUs) would be a third beside them.
/// </summary>
public interface ICommunicator
{
    /// <summary>This process's place in the job, 0 for the one that writes.</summary>
    int Rank { get; }

    /// <summary>Processes in the job.</summary>
    int Size { get; }

    /// <summary>Sums <paramref name="values"/> element-wise across ranks, in place: every rank ends with the total.</summary>
    void AllReduceSum(Span<float> values);

    /// <inheritdoc cref="AllReduceSum(Span{float})"/>
    void AllReduceSum(Span<double> values);

    /// <summary>Copies <paramref name="root"/>'s bytes into every other rank's buffer of the same length.</summary>
    void Broadcast(Span<byte> bytes, int root);

    /// <summary>Each rank's bytes (any length), in rank order, on <paramref name="root"/>; empty elsewhere.</summary>
    IReadOnlyList<byte[]> Gather(ReadOnlySpan<byte> bytes, int root);

    /// <summary>Returns once every rank has called it.</summary>
    void Barrier();

    /// <summary>Ends every rank of the job at once with <paramref name="exitCode"/>: a failed rank must not leave the
    /// others waiting in a collective forever.</summary>
    void Abort(int exitCode);
}
