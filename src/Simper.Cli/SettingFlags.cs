namespace Simper.Cli;

/// <summary>
/// The command-line flag of each library setting, for error messages: the library names its settings as recipes
/// do (<c>max_length</c>), the command line as its options (<c>--max-length</c>).
/// </summary>
public static class SettingFlags
{
    // Settings whose flag is not the setting's name in kebab case.
    private static readonly Dictionary<string, string> Renamed = new(StringComparer.Ordinal)
    {
        ["reference_model"] = "--ref-model",
        ["model"] = "--model",
    };

    public static string Flag(string setting) =>
        Renamed.TryGetValue(setting, out var flag) ? flag : "--" + setting.Replace('_', '-');

    /// <summary>The message of a user error as the command line says it.</summary>
    public static string Message(SimperException error) =>
        error is SettingException setting ? setting.Describe(Flag) : error.Message;
}
