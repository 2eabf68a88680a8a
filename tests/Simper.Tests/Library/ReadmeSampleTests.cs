using System.Text.Json;
using Simper.Checkpoints;
using Simper.Training;

namespace Simper.Tests.Library;

/// <summary>The README's sample changes the working directory, so it runs with no other test beside it.</summary>
[CollectionDefinition(nameof(WorkingDirectoryCollection), DisableParallelization = true)]
public sealed class WorkingDirectoryCollection;

[Collection(nameof(WorkingDirectoryCollection))]
public class ReadmeSampleTests
{
    private const string Begin = "// <readme>", End = "// </readme>";

    [Fact]
    public void TheSampleTrainsATinyModelWithNoSetupCall()
    {
        using var temp = new TempFolder();
        var before = Environment.CurrentDirectory;
        TrainingSummary summary;
        try
        {
            Environment.CurrentDirectory = temp.Path;
            summary = ReadmeSample.Run();
        }
        finally { Environment.CurrentDirectory = before; }

        Assert.Equal(2, summary.Steps);
        Assert.Equal(0, summary.SkippedSteps);
        var run = temp.File("aligned");
        using var trained = ModelFolder.Open(run).LoadModel(); // the final model, with the tokenizer copied beside it
        Assert.NotNull(ModelFolder.Open(run).Tokenizer);
        // Logged every 10 steps and at the last: the run's one record is step 2's.
        Assert.Equal([2], MetricsLog.Read(Path.Combine(run, MetricsLog.FileName)).Select(r => r.Step));
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, RunFolder.SettingsFile)));
        Assert.Equal(1e-4, settings.RootElement.GetProperty("learning-rate").GetDouble());
    }

    [Fact]
    public void TheReadmeShowsTheCompiledSample()
    {
        var root = RepositoryRoot();
        var readme = File.ReadAllText(Path.Combine(root, "README.md")).ReplaceLineEndings("\n");
        var section = readme[readme.IndexOf("## As a library", StringComparison.Ordinal)..];
        var start = section.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        var shown = section[start..section.IndexOf("```", start, StringComparison.Ordinal)];

        var source = File.ReadAllText(Path.Combine(root, "tests", "Simper.Tests", "Library", "ReadmeSample.cs")).ReplaceLineEndings("\n");
        var compiled = new List<string>();
        for (int at = source.IndexOf(Begin, StringComparison.Ordinal); at >= 0; at = source.IndexOf(Begin, at + 1, StringComparison.Ordinal))
        {
            var from = source.IndexOf('\n', at) + 1;
            compiled.AddRange(Lines(source[from..source.LastIndexOf('\n', source.IndexOf(End, from, StringComparison.Ordinal))]));
            compiled.Add(""); // the README puts a blank line between the usings and the program
        }
        Assert.Equal(string.Join("\n", compiled).Trim(), string.Join("\n", Lines(shown)).Trim());
    }

    // Indentation differs (the sample sits in a method), so each line is compared without its leading spaces.
    private static IEnumerable<string> Lines(string text) => text.Split('\n').Select(l => l.Trim());

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Simper.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Simper.slnx not found above the test assembly");
    }
}
