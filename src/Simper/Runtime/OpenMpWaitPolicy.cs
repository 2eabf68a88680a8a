using System.Runtime.InteropServices;

namespace Simper.Runtime;

/// <summary>
/// How libtorch's OpenMP threads wait between parallel regions. OpenMP's default lets them spin for a while, which
/// costs nothing on an idle machine but, beside another busy process or another rank on the same cores, has each
/// thread burn the core the others need: a training step then takes many times longer. PASSIVE makes waiting
/// threads sleep. The OpenMP runtime reads the variable once, when libtorch loads, so it is set in the C runtime's
/// environment before then (a user's own OMP_WAIT_POLICY stands).
/// </summary>
public static class OpenMpWaitPolicy
{
    public const string Variable = "OMP_WAIT_POLICY";
    public const string Passive = "PASSIVE";

    /// <summary>The policy to apply given the variable's current value: the user's when set, else PASSIVE.</summary>
    public static string Choose(string? current) => string.IsNullOrWhiteSpace(current) ? Passive : current;

    /// <summary>Sets PASSIVE unless the user chose a policy; returns the policy that holds. A no-op off Linux.</summary>
    public static string? Apply()
    {
        var current = Environment.GetEnvironmentVariable(Variable);
        if (!OperatingSystem.IsLinux()) return current;
        var chosen = Choose(current);
        if (chosen == current) return current;
        // libtorch's OpenMP runtime reads the C environment; .NET's SetEnvironmentVariable alone does not reach it.
        if (SetEnv(Variable, chosen, overwrite: 0) != 0) return current;
        Environment.SetEnvironmentVariable(Variable, chosen);
        return chosen;
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);
}
