using System.Text.RegularExpressions;

namespace Simper.Tests.Architecture;

/// <summary>
/// Dependencies between the library's folders run one way. A file in one folder may refer only to folders on lower
/// levels; folders on one level may not refer to each other. A reference is a using directive, a qualified name
/// (<c>Simper.Models.</c>) or a name relative to the root namespace (<c>Models.LlamaModel</c>, also inside a cref).
/// </summary>
public class FolderOrderTests
{
    /// <summary>Lowest first. Files directly in src/Simper (namespace Simper) are level 0.</summary>
    public static readonly IReadOnlyDictionary<string, int> Levels = new Dictionary<string, int>
    {
        [""] = 0, ["Runtime"] = 0, ["Data"] = 0, ["Templates"] = 0, ["Tokenization"] = 0, ["Objectives"] = 0,
        ["Kernels"] = 1, ["Distributed"] = 1,
        ["Models"] = 2,
        ["Checkpoints"] = 3,
        ["Lora"] = 4,
        ["Text"] = 5, ["Export"] = 5,
        ["Generation"] = 6, ["Scoring"] = 6,
        ["Training"] = 7,
        ["Bench"] = 8, ["Demo"] = 8,
    };

    private static readonly Regex TypeDeclaration = new(@"\b(?:class|record|struct|interface|enum)\s+(?:struct\s+|class\s+)?([A-Z]\w*)", RegexOptions.Compiled);

    /// <summary>One line per reference against the order: file, line, the two folders and their levels, and the reference.</summary>
    public static List<string> Violations(IReadOnlyList<(string Path, string Folder, string Text)> files)
    {
        var types = files.GroupBy(f => f.Folder).ToDictionary(g => g.Key,
            g => g.SelectMany(f => TypeDeclaration.Matches(f.Text).Select(m => m.Groups[1].Value)).ToHashSet());
        var violations = new List<string>();
        foreach (var (path, folder, text) in files)
        {
            if (!Levels.TryGetValue(folder, out var level)) { violations.Add($"{path}: folder \"{folder}\" has no level in the order"); continue; }
            foreach (var (other, otherLevel) in Levels)
            {
                if (other == folder || other == "" || otherLevel < level) continue;
                var typeNames = types.TryGetValue(other, out var t) ? t : [];
                var pattern = new Regex($@"\bSimper\.{other}\b|(?<![\w.]){other}\.(?<type>[A-Z]\w*)");
                var lines = text.Split('\n');
                for (var i = 0; i < lines.Length; i++)
                    foreach (Match m in pattern.Matches(lines[i]))
                        if (!m.Groups["type"].Success || typeNames.Contains(m.Groups["type"].Value))
                            violations.Add($"{path}:{i + 1}: {Name(folder)} (level {level}) refers to {other} (level {otherLevel}): {m.Value}");
            }
        }
        return violations;
    }

    private static string Name(string folder) => folder == "" ? "Simper" : folder;

    /// <summary>The library's source files with their top-level folder ("" for the root).</summary>
    private static List<(string Path, string Folder, string Text)> LibraryFiles()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Simper.slnx"))) dir = dir.Parent;
        Assert.True(dir is not null, $"no Simper.slnx above {AppContext.BaseDirectory}");
        var root = Path.Combine(dir!.FullName, "src", "Simper");
        return Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p))
            .Where(p => !p.StartsWith("bin" + Path.DirectorySeparatorChar) && !p.StartsWith("obj" + Path.DirectorySeparatorChar))
            .Select(p => (p, p.Contains(Path.DirectorySeparatorChar) ? p[..p.IndexOf(Path.DirectorySeparatorChar)] : "", File.ReadAllText(Path.Combine(root, p))))
            .ToList();
    }

    [Fact]
    public void NoFileRefersToAFolderAtOrAboveItsOwn()
    {
        var files = LibraryFiles();
        Assert.True(files.Count > 100, $"found only {files.Count} source files");
        Assert.Contains(files, f => f.Folder == "Kernels");
        var violations = Violations(files);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public void EveryKindOfReferenceUpTheOrderIsCaught()
    {
        var files = new List<(string, string, string)>
        {
            ("Models/LlamaModel.cs", "Models", "namespace Simper.Models;\npublic sealed class LlamaModel { }"),
            ("Lora/LoraModel.cs", "Lora", "using Simper.Models;\nnamespace Simper.Lora;\npublic static class LoraModel { }"),
            ("Runtime/A.cs", "Runtime", "using Simper.Models;\nnamespace Simper.Runtime;"),
            ("Kernels/B.cs", "Kernels", "namespace Simper.Kernels;\n/// <see cref=\"Models.LlamaModel\"/>"),
            ("Models/C.cs", "Models", "namespace Simper.Models;\nclass C { object x = new Simper.Lora.Thing(); }"),
            ("Scoring/D.cs", "Scoring", "namespace Simper.Scoring;\nclass D { }"),
            ("Generation/E.cs", "Generation", "using static Simper.Scoring.D;\nnamespace Simper.Generation;"),
            ("Text/F.cs", "Text", "namespace Simper.Text;\nclass F { int n = Models.Count; }"), // not a type of Models: no reference
        };
        var violations = Violations(files);
        Assert.Equal(4, violations.Count);
        Assert.Contains("Runtime/A.cs:1: Runtime (level 0) refers to Models (level 2): Simper.Models", violations);
        Assert.Contains("Kernels/B.cs:2: Kernels (level 1) refers to Models (level 2): Models.LlamaModel", violations);
        Assert.Contains("Models/C.cs:2: Models (level 2) refers to Lora (level 4): Simper.Lora", violations);
        Assert.Contains("Generation/E.cs:1: Generation (level 6) refers to Scoring (level 6): Simper.Scoring", violations);
    }
}
