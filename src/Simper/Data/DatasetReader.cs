namespace Simper.Data;

/// <summary>
/// Streams the rows of a dataset path (a file or a folder, see <see cref="DataFiles"/>) as JSON objects, whatever
/// the file format, without reading a file whole (except an object-wrapped JSON document, which must be parsed to
/// find its list).
/// </summary>
public static class DatasetReader
{
    /// <summary>Every row in order; the first bad row or file stops the enumeration with a <see cref="SimperException"/>.</summary>
    public static IEnumerable<DatasetRow> ReadRows(string path, DataOptions options)
    {
        foreach (var row in ReadRaw(path, options))
        {
            if (row.Problem is not null) throw new SimperException($"{row.Source}: {row.Problem}");
            yield return new DatasetRow(row.Fields!, row.Source);
        }
    }

    internal static IEnumerable<RawRow> ReadRaw(string path, DataOptions options)
    {
        foreach (var file in DataFiles.Resolve(path, options.Split))
        {
            long count = 0;
            foreach (var row in Guard(file, ReadFile(file, options)))
            {
                count++;
                yield return row;
            }
            if (count == 0) throw new SimperException($"{file}: the file holds no rows");
        }
    }

    private static IEnumerable<RawRow> ReadFile(string file, DataOptions options) =>
        DataFileOpener.FormatOf(file) switch
        {
            DataFileFormat.JsonLines => ReadJsonLines(file, options.MaxLineBytes),
            DataFileFormat.Json => JsonFileReader.Read(file, options),
            DataFileFormat.Parquet => ParquetFileReader.Read(file),
            _ => throw new SimperException($"{file}: unsupported file type; expected {DataFileOpener.Accepted}"),
        };

    private static IEnumerable<RawRow> ReadJsonLines(string file, int maxLineBytes)
    {
        using var stream = DataFileOpener.Open(file);
        foreach (var row in JsonLinesReader.Read(file, stream, maxLineBytes)) yield return row;
    }

    /// <summary>Turns I/O failures mid-file (a truncated or corrupt gzip stream, a vanished file) into one-line errors.</summary>
    private static IEnumerable<RawRow> Guard(string file, IEnumerable<RawRow> rows)
    {
        using var enumerator = Wrap(file, rows.GetEnumerator);
        while (Wrap(file, enumerator.MoveNext)) yield return enumerator.Current;
    }

    private static T Wrap<T>(string file, Func<T> action)
    {
        try { return action(); }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new SimperException($"{file}: cannot read: {e.Message}", e);
        }
    }
}
