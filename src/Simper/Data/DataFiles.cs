using System.Text.RegularExpressions;

namespace Simper.Data;

/// <summary>
/// Finds the data files of a dataset path: the file itself, or the data files under a folder (recursively, in
/// ordinal order of their relative paths), narrowed to one split the way Hugging Face's data-file patterns do: a
/// folder named after the split, or the split's name between separators in the file name.
/// </summary>
public static class DataFiles
{
    /// <summary>The files to read, in reading order.</summary>
    public static IReadOnlyList<string> Resolve(string path, string? split)
    {
        if (File.Exists(path))
        {
            if (DataFileOpener.FormatOf(path) is null)
                throw new SimperException($"{path}: unsupported file type; expected {DataFileOpener.Accepted}");
            return [path];
        }
        if (!Directory.Exists(path)) throw new SimperException($"{path}: no such file or folder");

        var all = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(path, f))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')))
            .Where(f => DataFileOpener.FormatOf(f) is not null)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (all.Count == 0) throw new SimperException($"{path}: the folder holds no data files ({DataFileOpener.Accepted})");
        if (string.IsNullOrEmpty(split)) return [.. all.Select(f => Path.Combine(path, f))];

        var chosen = all.Where(f => IsInSplit(f, split)).ToList();
        if (chosen.Count == 0)
            throw new SimperException(
                $"{path}: no file belongs to split '{split}' (by folder or file name); files found: {string.Join(", ", all.Take(20))}");
        return [.. chosen.Select(f => Path.Combine(path, f))];
    }

    /// <summary>
    /// True when a folder on the relative path is named <paramref name="split"/>, or the file name holds it between
    /// separators (start, end, '-', '_', '.', ' ' or a digit): <c>train.jsonl</c>, <c>train-00000-of-00001.parquet</c>,
    /// <c>hh-rlhf-test.jsonl.gz</c>, but not <c>contest.jsonl</c>.
    /// </summary>
    public static bool IsInSplit(string relativePath, string split)
    {
        var parts = relativePath.Split(Path.DirectorySeparatorChar);
        if (parts[..^1].Any(folder => string.Equals(folder, split, StringComparison.OrdinalIgnoreCase))) return true;
        var word = $"(^|[-._ 0-9]){Regex.Escape(split)}([-._ 0-9]|$)";
        return Regex.IsMatch(parts[^1], word, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }
}
