using static TorchSharp.torch;

namespace Simper.Distributed;

/// <summary>The compound operations built from the four collectives.</summary>
public static class Collectives
{
    /// <summary>Gradient buckets of this many bytes, PyTorch DDP's default bucket_cap_mb of 25.</summary>
    public const int BucketBytes = 25 << 20;

    /// <summary>Every rank's bytes, in rank order, on every rank (a gather to rank 0, then its broadcast).</summary>
    public static IReadOnlyList<byte[]> AllGather(this ICommunicator communicator, ReadOnlySpan<byte> bytes)
    {
        if (communicator.Size == 1) return [bytes.ToArray()];
        var gathered = communicator.Gather(bytes, root: 0);
        var lengths = new byte[communicator.Size * sizeof(int)];
        if (communicator.Rank == 0)
            for (int i = 0; i < gathered.Count; i++) BitConverter.TryWriteBytes(lengths.AsSpan(i * sizeof(int)), gathered[i].Length);
        communicator.Broadcast(lengths, root: 0);
        var sizes = Enumerable.Range(0, communicator.Size).Select(i => BitConverter.ToInt32(lengths, i * sizeof(int))).ToArray();
        var all = communicator.Rank == 0 ? gathered.SelectMany(b => b).ToArray() : new byte[sizes.Sum()];
        communicator.Broadcast(all, root: 0);
        var result = new List<byte[]>(sizes.Length);
        for (int i = 0, offset = 0; i < sizes.Length; offset += sizes[i++]) result.Add(all.AsSpan(offset, sizes[i]).ToArray());
        return result;
    }

    /// <summary>
    /// Sums float32 gradients across ranks in place, as DDP does: flattened into buckets of about
    /// <see cref="BucketBytes"/>, one all-reduce per bucket instead of one per tensor. Every rank must pass the same
    /// tensors (shapes, order). Returns the bytes each rank sent.
    /// </summary>
    public static long AllReduceSum(this ICommunicator communicator, IReadOnlyList<Tensor> gradients)
    {
        if (communicator.Size == 1 || gradients.Count == 0) return 0;
        long sent = 0;
        int first = 0;
        while (first < gradients.Count)
        {
            int last = first;
            long bytes = 0;
            do bytes += gradients[last++].numel() * sizeof(float);
            while (last < gradients.Count && bytes + gradients[last].numel() * sizeof(float) <= BucketBytes);
            sent += ReduceBucket(communicator, gradients.Skip(first).Take(last - first).ToList());
            first = last;
        }
        return sent;
    }

    private static long ReduceBucket(ICommunicator communicator, List<Tensor> bucket)
    {
        foreach (var g in bucket)
            if (g.dtype != ScalarType.Float32 || g.device_type != TorchSharp.DeviceType.CPU)
                throw new InvalidOperationException($"gradients are all-reduced as float32 on the CPU, found {g.dtype} on {g.device_type}");
        using var scope = NewDisposeScope();
        var flat = bucket.Count == 1 ? bucket[0].contiguous().flatten().clone() : cat(bucket.Select(g => g.flatten()).ToList());
        // A CPU tensor's bytes are a view of its storage: the sum lands in the tensor itself.
        communicator.AllReduceSum(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(flat.bytes));
        long offset = 0;
        using (no_grad())
            foreach (var g in bucket)
            {
                long n = g.numel();
                g.copy_(flat.narrow(0, offset, n).view_as(g));
                offset += n;
            }
        return flat.numel() * sizeof(float);
    }
}
