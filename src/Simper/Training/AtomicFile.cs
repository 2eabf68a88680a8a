namespace Simper.Training;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new one, never a partial write:
/// the content goes to a temporary sibling, is flushed to disk, then renamed over the target.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });
}

/// <summary>
/// Creates a folder (e.g. a checkpoint) so that it appears under its final name only once complete: the content is
/// written into a temporary sibling, which is then renamed into place. An existing folder of that name is replaced:
/// it is first renamed aside and deleted only after the new one is in place, so a crash leaves one of the two.
/// </summary>
public static class AtomicFolder
{
    public static void Create(string path, Action<string> fill)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var name = Path.GetFileName(full);
        var temp = Path.Combine(parent, $".{name}.tmp-{Guid.NewGuid():N}");
        var aside = Path.Combine(parent, $".{name}.old-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try { fill(temp); }
        catch { Directory.Delete(temp, recursive: true); throw; }

        var replacing = Directory.Exists(full);
        if (replacing) Directory.Move(full, aside);
        try { Directory.Move(temp, full); }
        catch
        {
            if (replacing) Directory.Move(aside, full);
            Directory.Delete(temp, recursive: true);
            throw;
        }
        if (replacing) Directory.Delete(aside, recursive: true);
    }
}
