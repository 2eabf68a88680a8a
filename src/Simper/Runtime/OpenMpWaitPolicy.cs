using System.Runtime.InteropServices;

namespace Simper.Runtime;

/// <summary>
/// How libtorch's OpenMP threads wait between parallel regions. OpenMP's default lets them spin for milliseconds,
/// which beside another busy process, or another rank on the same cores, has each waiting thread burn the core a
/// working one needs: a step then takes many times longer. Sleeping at once (PASSIVE) fixes that but makes a small
/// model, whose parallel regions are many and short, wait for its threads to wake after each. So Simper asks for
/// PASSIVE with a short spin first: GOMP_SPINCOUNT=10000, about a tenth of a millisecond in libgomp (libtorch's
/// OpenMP runtime on Linux), which overrides PASSIVE's zero spin there; another runtime keeps PASSIVE. The
/// measurements behind the count are in docs/scale-out.md. The runtime reads both variables once, when libtorch
/// loads, so they are set in the C runtime's environment before then. A user who set either variable keeps theirs,
/// and nothing else is set.
/// </summary>
public static class OpenMpWaitPolicy
{
    public const string Variable = "OMP_WAIT_POLICY";
    public const string SpinCountVariable = "GOMP_SPINCOUNT";
    public const string Passive = "PASSIVE";
    public const string ShortSpin = "10000";

    /// <summary>
    /// The variables to set given the user's values: none when the user chose either, else PASSIVE with a short spin.
    /// </summary>
    public static IReadOnlyList<(string Name, string Value)> Choose(string? policy, string? spinCount) =>
        string.IsNullOrWhiteSpace(policy) && string.IsNullOrWhiteSpace(spinCount)
            ? [(Variable, Passive), (SpinCountVariable, ShortSpin)]
            : [];

    /// <summary>Sets the variables <see cref="Choose"/> picks; returns what it set. A no-op off Linux.</summary>
    public static IReadOnlyList<(string Name, string Value)> Apply()
    {
        if (!OperatingSystem.IsLinux()) return [];
        var chosen = Choose(Environment.GetEnvironmentVariable(Variable), Environment.GetEnvironmentVariable(SpinCountVariable));
        foreach (var (name, value) in chosen)
        {
            // libtorch's OpenMP runtime reads the C environment; .NET's SetEnvironmentVariable alone does not reach it.
            if (SetEnv(name, value, overwrite: 0) != 0) return [];
            Environment.SetEnvironmentVariable(name, value);
        }
        return chosen;
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);
}
