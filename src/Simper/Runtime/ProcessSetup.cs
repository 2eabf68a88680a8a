using System.Runtime.CompilerServices;

namespace Simper.Runtime;

/// <summary>
/// The process-wide settings a program training through Simper needs, applied by the library itself the first time
/// any of its types is used, so neither the command line nor a program of its own calls anything first:
/// <list type="bullet">
/// <item><see cref="CpuKernels.PreferAvx2"/>: on an AMD CPU with AVX-512, libtorch's AVX2 kernels (a user's own
/// ATEN_CPU_CAPABILITY stands). It must precede libtorch's first tensor operation, which fixes the kernels for the
/// process; a program that runs TorchSharp operations before it touches any Simper type calls
/// <see cref="Apply"/> first.</item>
/// <item><see cref="OpenMpWaitPolicy.Apply"/>: OMP_WAIT_POLICY=PASSIVE with GOMP_SPINCOUNT=10000 (a user's own value
/// of either stands), so libtorch's OpenMP threads spin only briefly, then sleep, when another process or rank holds
/// the cores. Like the kernel choice it must precede libtorch's loading.</item>
/// <item><see cref="ProcessMemory.KeepFreedMemoryForReuse"/>: on Linux the C allocator keeps freed tensor memory for
/// the next step instead of returning it to the kernel and faulting it back in.</item>
/// </list>
/// All are no-ops off Linux, and applying them again changes nothing.
/// </summary>
public static class ProcessSetup
{
    private static int _applied;

    /// <summary>Applies the settings once per process; later calls return at once.</summary>
    public static void Apply()
    {
        if (Interlocked.Exchange(ref _applied, 1) == 1) return;
        CpuKernels.PreferAvx2();
        OpenMpWaitPolicy.Apply();
        ProcessMemory.KeepFreedMemoryForReuse();
    }

    // A module initializer runs before any type of this assembly is used, which is before any libtorch operation
    // Simper performs: the one moment at which the kernel choice can still be made.
#pragma warning disable CA2255 // deliberately in a library: the setting must precede the caller's first use of Simper
    [ModuleInitializer]
    internal static void OnLoad() => Apply();
#pragma warning restore CA2255
}
