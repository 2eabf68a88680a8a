using Simper.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests;

[Collection(nameof(ProcessMemoryTests))]
public class ProcessMemoryTests
{
    private const long MiB = 1 << 20;

    [SkippableFact]
    public void FreedTensorsLeaveTheResidentSetAtOnce()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && ProcessMemory.Available, "resident memory is read from Linux's /proc");
        // Threads the runtime and earlier tests leave behind can allocate or free during a measurement, so it gets
        // three tries; memory kept in the heap would lower the resident set by almost nothing in every one.
        var attempts = new List<(long Raised, long Lowered)>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var (raised, lowered) = AllocateAndFree64MiB();
            attempts.Add((raised / MiB, lowered / MiB));
            if (raised >= 56 * MiB && lowered >= 56 * MiB) return;
        }
        Assert.Fail("64 MiB of tensors, allocated and freed: " + string.Join("; ", attempts.Select(a => $"resident set +{a.Raised} MiB, then -{a.Lowered} MiB")));
    }

    /// <summary>How much 64 one-MiB tensors raise the resident set, and how much freeing them lowers it.</summary>
    private static (long Raised, long Lowered) AllocateAndFree64MiB()
    {
        // Freeing a large mapped block makes glibc raise its thresholds, after which megabyte tensors would come from
        // the heap and, with a small block allocated after them, stay resident once freed.
        torch.ones(4 * MiB).Dispose(); // 16 MiB
        ProcessMemory.ReturnFreedMemoryPromptly();
        ProcessMemory.ReleaseFreedMemory();
        // Earlier tests in this process (the command line's, which keep freed memory for reuse) can leave free space
        // in the heap, and malloc serves a block from free heap space before it maps one: the threshold only decides
        // how new memory is obtained. Hold untouched one-MiB tensors until one is mapped, so the blocks measured
        // below cannot come from that space; untouched, the holders add nothing to the resident set.
        using var holders = new DisposableList(HoldHeapFreeSpace());
        var before = ProcessMemory.Resident();
        var blocks = Enumerable.Range(0, 64).Select(_ => torch.ones(MiB / 4)).ToList(); // 64 × 1 MiB, every page written
        using var pin = torch.ones(1024);
        var held = ProcessMemory.Resident();
        foreach (var block in blocks) block.Dispose();
        var after = ProcessMemory.Resident();
        return (held - before, held - after);
    }

    /// <summary>One-MiB tensors, left unwritten, taken until the allocator maps one of its own (the last is freed again).</summary>
    private static List<Tensor> HoldHeapFreeSpace()
    {
        var held = new List<Tensor>();
        if (!MallocStatistics.Available) return held;
        while (held.Count < 4096) // 4 GiB of address space at most, none of it resident
        {
            var mapped = MallocStatistics.MappedBlocks();
            var block = torch.empty(MiB / 4);
            if (MallocStatistics.MappedBlocks() > mapped)
            {
                block.Dispose();
                break;
            }
            held.Add(block);
        }
        return held;
    }

    private sealed class DisposableList(List<Tensor> tensors) : IDisposable
    {
        public void Dispose() => tensors.ForEach(t => t.Dispose());
    }

    /// <summary>glibc's mallinfo2: how many blocks the allocator has mapped on their own (hblks).</summary>
    private static class MallocStatistics
    {
        public static bool Available { get; } = OperatingSystem.IsLinux() && Probe();

        public static long MappedBlocks() => (long)MallInfo2().MappedBlocks;

        private static bool Probe()
        {
            try { MallInfo2(); return true; }
            catch (EntryPointNotFoundException) { return false; } // glibc before 2.33, or another C library
            catch (DllNotFoundException) { return false; }
        }

        [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
        private struct Info
        {
            public nuint Arena, OrdinaryBlocks, SmallBlocks, MappedBlocks, MappedBytes, UsmBlocks, FastBytes, UsedBytes, FreeBytes, KeepCost;
        }

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mallinfo2")]
        private static extern Info MallInfo2();
    }
}

/// <summary>Resident-set and garbage-collection measurements are disturbed by tests allocating alongside, so these run alone.</summary>
[CollectionDefinition(nameof(ProcessMemoryTests), DisableParallelization = true)]
public class ProcessMemoryCollection;
