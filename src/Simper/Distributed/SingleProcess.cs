namespace Simper.Distributed;

/// <summary>A job of one process: every collective is the identity, and no MPI library is needed.</summary>
public sealed class SingleProcess : ICommunicator
{
    public static readonly SingleProcess Instance = new();

    public int Rank => 0;
    public int Size => 1;
    public void AllReduceSum(Span<float> values) { }
    public void AllReduceSum(Span<double> values) { }
    public void Broadcast(Span<byte> bytes, int root) => CheckRoot(root);

    public IReadOnlyList<byte[]> Gather(ReadOnlySpan<byte> bytes, int root)
    {
        CheckRoot(root);
        return [bytes.ToArray()];
    }

    public void Barrier() { }
    public void Abort(int exitCode) => Environment.Exit(exitCode);

    private static void CheckRoot(int root)
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), root, "a single process has only rank 0");
    }
}
