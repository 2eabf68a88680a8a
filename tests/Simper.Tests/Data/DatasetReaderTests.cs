using Parquet.Schema;
using Simper.Data;
using static Simper.Tests.Data.DataFilesForTests;

namespace Simper.Tests.Data;

public class DatasetReaderTests
{
    private static readonly DataOptions Defaults = new();

    private static List<DatasetRow> Rows(string path, DataOptions? options = null) => [.. DatasetReader.ReadRows(path, options ?? Defaults)];

    [Fact]
    public void JsonLinesSkipBlankLinesAndKeepLineNumbers()
    {
        using var temp = new TempFolder();
        var path = Write(temp.File("d.jsonl"), "\uFEFF{\"text\": \"a\"}\r\n\r\n  \n{\"text\": \"b\", \"n\": 2}\n{\"text\": \"c\"}");
        var rows = Rows(path);
        Assert.Equal(["a", "b", "c"], rows.Select(r => (string)r.Fields["text"]!));
        Assert.Equal([$"{path}:1", $"{path}:4", $"{path}:5"], rows.Select(r => r.Source.ToString()));
        Assert.Equal([0L, 1, 2], rows.Select(r => r.Source.Index));
        Assert.Equal(2, (int)rows[1].Fields["n"]!);
    }

    [Fact]
    public void RowsStreamWithoutReadingAhead()
    {
        using var temp = new TempFolder();
        var jsonl = Write(temp.File("d.jsonl"), "{\"text\": \"a\"}\n@broken\n");
        var json = Write(temp.File("d.json"), "[{\"text\": \"a\"}, " + new string(' ', 1 << 20) + "@broken]");
        Assert.Equal("a", (string)DatasetReader.ReadRows(jsonl, Defaults).First().Fields["text"]!);
        Assert.Equal("a", (string)DatasetReader.ReadRows(json, Defaults).First().Fields["text"]!);
        Assert.Throws<SimperException>(() => Rows(json));
    }

    [Fact]
    public void JsonArrayStreamsRowsWithTheirIndex()
    {
        using var temp = new TempFolder();
        var path = Write(temp.File("d.json"), "[\n  {\"text\": \"a\"},\n  {\"text\": \"b\"}\n]\n");
        var rows = Rows(path);
        Assert.Equal(["a", "b"], rows.Select(r => (string)r.Fields["text"]!));
        Assert.Equal($"{path}[1]", rows[1].Source.ToString());
    }

    [Fact]
    public void JsonObjectWithOneListFieldIsUnwrapped()
    {
        using var temp = new TempFolder();
        var path = Write(temp.File("d.json"), "{\n  \"data\": [{\"text\": \"a\"}, {\"text\": \"b\"}]\n}\n");
        Assert.Equal(["a", "b"], Rows(path).Select(r => (string)r.Fields["text"]!));
    }

    [Fact]
    public void JsonFieldOptionPicksTheListAmongSeveralFields()
    {
        using var temp = new TempFolder();
        var path = Write(temp.File("d.json"), "{\"version\": 2, \"rows\": [{\"text\": \"a\"}]}");
        Assert.Equal("a", (string)Assert.Single(Rows(path, new DataOptions { JsonField = "rows" })).Fields["text"]!);
        var error = Assert.Throws<SimperException>(() => Rows(path, new DataOptions { JsonField = "data" }));
        Assert.Equal($"{path}: the top-level object has no field 'data'; it has: version, rows", error.Message);
    }

    [Fact]
    public void JsonLinesSavedAsJsonAreReadAsLines()
    {
        using var temp = new TempFolder();
        var path = Write(temp.File("d.json"), "{\"text\": \"a\"}\n{\"text\": \"b\"}\n");
        var rows = Rows(path);
        Assert.Equal(["a", "b"], rows.Select(r => (string)r.Fields["text"]!));
        Assert.Equal($"{path}:2", rows[1].Source.ToString());
    }

    [Fact]
    public void GzipIsReadByExtensionAndByMagicBytes()
    {
        using var temp = new TempFolder();
        var named = WriteGzip(temp.File("d.jsonl.gz"), "{\"text\": \"zipped\"}\n");
        var disguised = WriteGzip(temp.File("e.json"), "[{\"text\": \"hidden\"}]");
        Assert.Equal("zipped", (string)Assert.Single(Rows(named)).Fields["text"]!);
        Assert.Equal("hidden", (string)Assert.Single(Rows(disguised)).Fields["text"]!);
    }

    [Fact]
    public void ParquetNestedColumnsBecomeJson()
    {
        using var temp = new TempFolder();
        var schema = new ParquetSchema(
            new DataField<string>("name"),
            new DataField<long>("count"),
            new DataField<double?>("score"),
            new DataField<bool>("flag"),
            new ListField("ids", new DataField<int>("element")),
            new ListField("messages", new StructField("element", new DataField<string>("role"), new DataField<string>("content"))));
        var path = WriteParquet(temp.File("d.parquet"), schema,
        [
            new Dictionary<string, object?>
            {
                ["name"] = "first", ["count"] = 5L, ["score"] = 0.25, ["flag"] = true, ["ids"] = new List<int> { 7, 8, 9 },
                ["messages"] = new List<Dictionary<string, object?>> { Message("user", "Hi"), Message("assistant", "Hello") },
            },
            new Dictionary<string, object?>
            {
                ["name"] = "second", ["count"] = 6L, ["score"] = null, ["flag"] = false, ["ids"] = new List<int> { 1 },
                ["messages"] = new List<Dictionary<string, object?>> { Message("user", "Yo") },
            },
        ]);
        var rows = Rows(path);
        Assert.Equal(
            "{\"name\":\"first\",\"count\":5,\"score\":0.25,\"flag\":true,\"ids\":[7,8,9],\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello\"}]}",
            rows[0].Fields.ToJsonString());
        Assert.Equal(
            "{\"name\":\"second\",\"count\":6,\"score\":null,\"flag\":false,\"ids\":[1],\"messages\":[{\"role\":\"user\",\"content\":\"Yo\"}]}",
            rows[1].Fields.ToJsonString());
        Assert.Equal($"{path}[1]", rows[1].Source.ToString());
    }

    [Fact]
    public void ParquetIsReadRowGroupByRowGroup()
    {
        using var temp = new TempFolder();
        var schema = new ParquetSchema(new DataField<string>("text"));
        var rows = Enumerable.Range(0, 5).Select(i => (IDictionary<string, object?>)new Dictionary<string, object?> { ["text"] = $"row {i}" }).ToList();
        var path = WriteParquet(temp.File("d.parquet"), schema, rows, rowGroupSize: 2);
        Assert.Equal(3, RowGroups(path));
        Assert.Equal(["row 0", "row 1", "row 2", "row 3", "row 4"], Rows(path).Select(r => (string)r.Fields["text"]!));
        Assert.Equal([0L, 1, 2, 3, 4], Rows(path).Select(r => r.Source.Index));
    }

    [Fact]
    public void GzippedParquetIsDecompressedFirst()
    {
        using var temp = new TempFolder();
        var schema = new ParquetSchema(new DataField<string>("text"));
        var plain = WriteParquet(temp.File("plain.parquet"), schema, [new Dictionary<string, object?> { ["text"] = "inside" }]);
        using (var output = File.Create(temp.File("d.parquet.gz")))
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest))
            gzip.Write(File.ReadAllBytes(plain));
        Assert.Equal("inside", (string)Assert.Single(Rows(temp.File("d.parquet.gz"))).Fields["text"]!);
    }

    [Fact]
    public void FolderIsReadInNameOrderIgnoringOtherFiles()
    {
        using var temp = new TempFolder();
        Write(temp.File("b.jsonl"), "{\"text\": \"b\"}\n");
        Write(temp.File("a.json"), "[{\"text\": \"a\"}]");
        Write(temp.File("README.md"), "# not data");
        Write(Path.Combine(temp.Path, "c", "part.jsonl"), "{\"text\": \"c\"}\n");
        Write(Path.Combine(temp.Path, ".cache", "x.jsonl"), "{\"text\": \"hidden\"}\n");
        Assert.Equal(["a", "b", "c"], Rows(temp.Path).Select(r => (string)r.Fields["text"]!));
    }

    [Fact]
    public void SplitPicksFilesByNameOrFolder()
    {
        using var temp = new TempFolder();
        Write(temp.File("train.jsonl"), "{\"text\": \"train file\"}\n");
        Write(temp.File("test.jsonl"), "{\"text\": \"test file\"}\n");
        Write(Path.Combine(temp.Path, "data", "train-00000-of-00001.jsonl"), "{\"text\": \"train shard\"}\n");
        Write(Path.Combine(temp.Path, "data", "test-00000-of-00001.jsonl"), "{\"text\": \"test shard\"}\n");
        Write(Path.Combine(temp.Path, "train", "part.jsonl"), "{\"text\": \"train folder\"}\n");
        Write(temp.File("contest.jsonl"), "{\"text\": \"not a split\"}\n");

        Assert.Equal(["train shard", "train file", "train folder"],
            Rows(temp.Path, new DataOptions { Split = "train" }).Select(r => (string)r.Fields["text"]!));
        Assert.Equal(["test shard", "test file"],
            Rows(temp.Path, new DataOptions { Split = "test" }).Select(r => (string)r.Fields["text"]!));
        var error = Assert.Throws<SimperException>(() => Rows(temp.Path, new DataOptions { Split = "validation" }));
        Assert.StartsWith($"{temp.Path}: no file belongs to split 'validation' (by folder or file name); files found: contest.jsonl, ", error.Message);
    }

    [Theory]
    [InlineData("train.jsonl", "train", true)]
    [InlineData("data/train-00000-of-00001.parquet", "train", true)]
    [InlineData("hh-rlhf-harmless-base-test.jsonl.gz", "test", true)]
    [InlineData("train/part-0.jsonl", "train", true)]
    [InlineData("contest.jsonl", "test", false)]
    [InlineData("trainer.jsonl", "train", false)]
    [InlineData("data/test-0.jsonl", "train", false)]
    public void SplitMembership(string relativePath, string split, bool expected) =>
        Assert.Equal(expected, DataFiles.IsInSplit(relativePath.Replace('/', Path.DirectorySeparatorChar), split));
}
