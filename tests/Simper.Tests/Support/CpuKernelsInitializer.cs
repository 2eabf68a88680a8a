using System.Runtime.CompilerServices;
using Simper.Runtime;

namespace Simper.Tests.Support;

internal static class CpuKernelsInitializer
{
    /// <summary>
    /// The tests run libtorch's CPU kernels as the command line does, chosen before the first tensor operation: by the
    /// library itself when its module loads (<see cref="ProcessSetup"/>), which this only makes happen first.
    /// </summary>
    [ModuleInitializer]
    internal static void ChooseKernels()
    {
        UserSetting = Environment.GetEnvironmentVariable(CpuKernels.Variable); // a constant: the library is not loaded yet
        RuntimeHelpers.RunModuleConstructor(typeof(ProcessSetup).Module.ModuleHandle);
    }

    /// <summary>ATEN_CPU_CAPABILITY as the test run was started with, before the choice; null or empty if unset.</summary>
    internal static string? UserSetting { get; private set; }
}
