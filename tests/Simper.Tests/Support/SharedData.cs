namespace Simper.Tests.Support;

/// <summary>
/// Locates the project's shared test data (the folder <c>shared</c> beside the repository). It is present on
/// development machines and in CI but not in a user's fresh clone, so tests that read it skip when it is absent.
/// </summary>
public static class SharedData
{
    private static readonly Lazy<string?> Root = new(Find);

    /// <summary>The shared folder, or null when it is not beside this checkout.</summary>
    public static string? Folder => Root.Value;

    /// <summary>The path of a file or folder inside shared/, skipping the calling test when shared/ is absent.</summary>
    public static string Path(params string[] parts)
    {
        Skip.If(Folder is null,
            "../shared (the project's test data) is not beside this checkout; set SIMPER_SHARED to its path to run this test.");
        return System.IO.Path.Combine([Folder!, .. parts]);
    }

    private static string? Find()
    {
        var fromEnv = Environment.GetEnvironmentVariable("SIMPER_SHARED");
        if (!string.IsNullOrEmpty(fromEnv) && Directory.Exists(fromEnv)) return fromEnv;
        // Walk up from the test binaries: the repository root's parent holds shared/.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared");
            if (File.Exists(System.IO.Path.Combine(candidate, "fixtures", "parity-llama", "expected.json"))) return candidate;
        }
        return null;
    }
}
