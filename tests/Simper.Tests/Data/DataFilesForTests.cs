using System.IO.Compression;
using System.Text;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace Simper.Tests.Data;

/// <summary>Writes small dataset files for the tests: text, gzip, and Parquet through Parquet.Net.</summary>
internal static class DataFilesForTests
{
    public static string Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    public static string WriteBytes(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static string WriteGzip(string path, string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(Encoding.UTF8.GetBytes(text));
        return WriteBytes(path, output.ToArray());
    }

    public static string WriteParquet(string path, ParquetSchema schema, IReadOnlyCollection<IDictionary<string, object?>> rows, int rowGroupSize = 1000)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var file = File.Create(path);
        ParquetSerializer.SerializeUntypedAsync(rows, schema, file, new ParquetOptions { RowGroupSize = rowGroupSize })
            .GetAwaiter().GetResult();
        return path;
    }

    public static int RowGroups(string path)
    {
        using var file = File.OpenRead(path);
        var reader = ParquetReader.CreateAsync(file).GetAwaiter().GetResult();
        try { return reader.RowGroupCount; }
        finally { reader.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }

    public static Dictionary<string, object?> Message(string role, string content) => new() { ["role"] = role, ["content"] = content };
}
