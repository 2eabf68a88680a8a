using System.IO.Compression;

namespace Simper.Tests.Tokenization;

/// <summary>
/// Model tokenizer folders for the real vocabularies in shared/data/tokenizer-tests/vocabs (tokenizer.json,
/// stored gzip-compressed there, plus tokenizer_config.json), written to a scratch folder.
/// </summary>
internal static class VocabularyFolders
{
    public static string Source(string name) => SharedData.Path("data", "tokenizer-tests", "vocabs", name);

    public static TempFolder Write(string name)
    {
        var source = Source(name);
        var folder = new TempFolder();
        using (var gz = new GZipStream(File.OpenRead(Path.Combine(source, "tokenizer.json.gz")), CompressionMode.Decompress))
        using (var output = File.Create(folder.File("tokenizer.json")))
            gz.CopyTo(output);
        File.Copy(Path.Combine(source, "tokenizer_config.json"), folder.File("tokenizer_config.json"));
        return folder;
    }
}
