using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Simper.Checkpoints;
using Simper.Models;

namespace Simper.Tests.Reliability;

/// <summary>Every file under a folder with the SHA-256 of its bytes, and every folder, to prove a failed command wrote nothing.</summary>
internal sealed record FolderSnapshot(IReadOnlyDictionary<string, string> Entries)
{
    public static FolderSnapshot Take(string root)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (Directory.Exists(root))
            foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
                entries[Path.GetRelativePath(root, path)] = Directory.Exists(path) ? "folder" : Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
        return new FolderSnapshot(entries);
    }

    public void AssertSame(FolderSnapshot after)
    {
        Assert.Equal(Entries.Keys, after.Entries.Keys);
        foreach (var (path, hash) in Entries) Assert.True(hash == after.Entries[path], $"{path} changed");
    }
}

/// <summary>Tiny model folders and the small files the reliability tests corrupt.</summary>
internal static class RunFixtures
{
    /// <summary>A tiny random model (byte-level tokenizer, vocabulary 261) in <paramref name="dir"/>.</summary>
    public static string TinyModel(string dir, int seed = 7)
    {
        RandomModelFolder.Create(dir, ModelPresets.Tiny, seed);
        return dir;
    }

    public static string Pairs(string path, int rows = 8)
    {
        File.WriteAllLines(path, Enumerable.Range(1, rows).Select(i =>
            $"{{\"prompt\": \"Q{i}? \", \"chosen\": \"yes {i}\", \"rejected\": \"no {i}\"}}"));
        return path;
    }

    /// <summary>`simper train` on a tiny run: one thread, micro-batches of two, one per step, learning rate 1e-3 unless given.</summary>
    public static string[] Train(string model, string data, string output, params string[] more) =>
    [
        "train", "--model", model, "--data", data, "--output", output, "--batch-size", "2",
        "--gradient-accumulation-steps", "1", "--threads", "1",
        .. more.Contains("--learning-rate") ? more : [.. more, "--learning-rate", "1e-3"],
    ];

    /// <summary>Rewrites a safetensors file's JSON header (the tensor data is kept byte for byte).</summary>
    public static void EditHeader(string path, Action<JsonObject> edit)
    {
        var bytes = File.ReadAllBytes(path);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject();
        edit(header);
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var output = new byte[8 + json.Length + bytes.Length - 8 - length];
        BinaryPrimitives.WriteUInt64LittleEndian(output, (ulong)json.Length);
        json.CopyTo(output, 8);
        bytes.AsSpan(8 + length).CopyTo(output.AsSpan(8 + json.Length));
        File.WriteAllBytes(path, output);
    }

    public static void EditJson(string path, Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(root);
        File.WriteAllText(path, root.ToJsonString());
    }

    public static string Weights(string model) => Path.Combine(model, PretrainedModel.WeightsFile);
}
