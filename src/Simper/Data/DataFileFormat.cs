namespace Simper.Data;

/// <summary>The file formats a dataset may come in, each optionally gzip-compressed.</summary>
internal enum DataFileFormat { JsonLines, Json, Parquet }

/// <summary>Recognises data files by name and opens them, decompressing gzip found by extension or magic bytes.</summary>
internal static class DataFileOpener
{
    private static readonly (string Extension, DataFileFormat Format)[] Extensions =
    [
        (".jsonl", DataFileFormat.JsonLines),
        (".ndjson", DataFileFormat.JsonLines),
        (".json", DataFileFormat.Json),
        (".parquet", DataFileFormat.Parquet),
    ];

    public const string Accepted = ".jsonl, .ndjson, .json or .parquet, each optionally .gz";

    /// <summary>The format named by the file's extension (ignoring a trailing <c>.gz</c>), or null.</summary>
    public static DataFileFormat? FormatOf(string path)
    {
        var name = Path.GetFileName(path).ToLowerInvariant();
        if (name.EndsWith(".gz", StringComparison.Ordinal)) name = name[..^3];
        foreach (var (extension, format) in Extensions)
            if (name.EndsWith(extension, StringComparison.Ordinal)) return format;
        return null;
    }

    /// <summary>
    /// Opens the file for reading, decompressed when it starts with the gzip magic bytes (whatever its name says).
    /// With <paramref name="seekable"/>, a compressed file is decompressed into a temporary file deleted on close,
    /// because Parquet is read from its footer.
    /// </summary>
    public static Stream Open(string path, bool seekable = false)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        var read = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        if (read < 2 || magic[0] != 0x1f || magic[1] != 0x8b) return file;

        var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress);
        if (!seekable) return gzip;
        using (gzip)
        {
            var temp = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None,
                1 << 16, FileOptions.DeleteOnClose);
            try { gzip.CopyTo(temp); }
            catch (InvalidDataException e) { temp.Dispose(); throw new SimperException($"{path}: corrupt gzip data: {e.Message}", e); }
            temp.Position = 0;
            return temp;
        }
    }
}
