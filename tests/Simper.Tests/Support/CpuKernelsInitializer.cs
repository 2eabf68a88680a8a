using System.Runtime.CompilerServices;
using Simper.Runtime;

namespace Simper.Tests.Support;

internal static class CpuKernelsInitializer
{
    /// <summary>The tests run libtorch's CPU kernels as the command line does, chosen before the first tensor operation.</summary>
    [ModuleInitializer]
    internal static void ChooseKernels() => CpuKernels.PreferAvx2();
}
