using System.Text;
using Simper.Tokenization;
using Xunit.Abstractions;

namespace Simper.Tests.Tokenization;

/// <summary>
/// Encodes repeated TinyStories text (1 MB; SIMPER_TOKENIZER_BENCH_MB sets another size) and reports the speed.
/// For GPT-2, away from the "<|endoftext|>" markers (a special token for us,
/// plain text for the bare package tokenizer), the ids must equal the package's own byte-level BPE's.
/// </summary>
public class TokenizerThroughputTests(ITestOutputHelper output)
{
    private static string Text()
    {
        var sample = File.ReadAllText(SharedData.Path("data", "text", "tinystories_sample.txt"));
        int megabytes = int.TryParse(Environment.GetEnvironmentVariable("SIMPER_TOKENIZER_BENCH_MB"), out var mb) ? mb : 1;
        int copies = (int)Math.Ceiling(megabytes * 1e6 / Encoding.UTF8.GetByteCount(sample));
        return new StringBuilder(sample.Length * copies).Insert(0, sample, copies).ToString();
    }

    [SkippableTheory]
    [InlineData("gpt2")]
    [InlineData("llama2")]
    public void Measures_encoding_speed(string name)
    {
        var tokenizer = ModelTokenizer.FromFolder(SharedData.Path("data", "tokenizers", name));
        var text = Text();
        var result = TokenizerThroughput.Measure(tokenizer, text);
        output.WriteLine($"{name}: {result}");

        Assert.True(result.Tokens > result.Bytes / 8);
        if (name == "gpt2")
        {
            var plain = text[..200_000].Replace("<|endoftext|>", "");
            Assert.Equal(tokenizer.ReferenceTokenizer!.EncodeToIds(plain), tokenizer.Encode(plain, addSpecialTokens: false));
        }
    }

    [SkippableFact]
    public void Measures_Llama3_tokenizer_json_speed_and_batches_match_single_encodings()
    {
        using var folder = VocabularyFolders.Write("llama-bpe");
        var tokenizer = ModelTokenizer.FromFolder(folder.Path);
        var text = Text();
        var result = TokenizerThroughput.Measure(tokenizer, text);   // throws when the batch and one thread disagree
        output.WriteLine($"llama-bpe: {result}");

        Assert.True(result.Tokens > result.Bytes / 8);
        var lines = text[..100_000].Split('\n');
        var batch = tokenizer.EncodeBatch(lines, addSpecialTokens: false);
        for (int i = 0; i < lines.Length; i++) Assert.Equal(tokenizer.Encode(lines[i], addSpecialTokens: false), batch[i]);
    }
}
