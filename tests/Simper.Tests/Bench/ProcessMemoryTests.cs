using Simper.Bench;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Bench;

[Collection(nameof(ProcessMemoryTests))]
public class ProcessMemoryTests
{
    private const long MiB = 1 << 20;

    [SkippableFact]
    public void FreedTensorsLeaveTheResidentSetAtOnce()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && ProcessMemory.Available, "resident memory is read from Linux's /proc");
        // Freeing a large mapped block makes glibc raise its thresholds, after which megabyte tensors would come from
        // the heap and, with a small block allocated after them, stay resident once freed.
        torch.ones(4 * MiB).Dispose(); // 16 MiB
        ProcessMemory.ReturnFreedMemoryPromptly();
        ProcessMemory.ReleaseFreedMemory();
        var before = ProcessMemory.Resident();
        var blocks = Enumerable.Range(0, 64).Select(_ => torch.ones(MiB / 4)).ToList(); // 64 × 1 MiB, every page written
        using var pin = torch.ones(1024);
        var held = ProcessMemory.Resident();
        foreach (var block in blocks) block.Dispose();
        var after = ProcessMemory.Resident();
        // The kernel's VmRSS is a per-CPU approximation and the runtime's own threads allocate alongside, so the bounds
        // leave slack; memory kept in the heap would lower the resident set by almost nothing, not by half.
        Assert.True(held - before >= 48 * MiB, $"64 MiB of tensors raised the resident set by only {(held - before) / MiB} MiB");
        Assert.True(held - after >= 32 * MiB, $"freeing 64 MiB of tensors lowered the resident set by only {(held - after) / MiB} MiB");
    }
}

/// <summary>Resident-set measurements are disturbed by tests allocating alongside, so these run alone.</summary>
[CollectionDefinition(nameof(ProcessMemoryTests), DisableParallelization = true)]
public class ProcessMemoryCollection;
