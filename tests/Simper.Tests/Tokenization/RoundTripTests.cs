using System.Text.Json;
using Simper.Tokenization;

namespace Simper.Tests.Tokenization;

/// <summary>
/// Never lose text: decoding the encoding of a text gives the text back (none of these tokenizers normalizes), for
/// GPT-2 (vocab.json + merges.txt), Llama 2 (tokenizer.model) and four real tokenizer.json files.
/// </summary>
public class RoundTripTests
{
    public static readonly string[] HardStrings =
    [
        "Hello 👋🏽 world 🇯🇵 👨‍👩‍👧 🫠",
        "日本語のテキスト、中文文本。한국어 텍스트",
        "e\u0301 n\u0303 a\u0308\u0304 Z\u0324\u0354\u0367\u0311\u0313",
        "x 𝟘𝟙𝟚𝟛 𝐀𝐁𝐂 ١٢٣ ½ ⅷ",
        "a  b   c\n\n\n  \t\td\r\n  ",
        "    leading and trailing    ",
        "\n\n\n",
        "<|im_start|>user\n<|im_end|> <|fake|> <|begin_of_text| <|endoftext|",
        "\u00A0non-breaking\u2003em space\u200Bzero width\uFEFF",
        "ied 4 ½ months, 1234567 and 3.14159",
        "Cửa Việt",
        "",
    ];

    private static void AssertRoundTrips(ModelTokenizer tokenizer)
    {
        var story = File.ReadAllText(SharedData.Path("data", "text", "tinystories_sample.txt"));
        var failures = new List<string>();
        foreach (var text in HardStrings.Append(story))
        {
            var ids = tokenizer.Encode(text, addSpecialTokens: false);
            var decoded = tokenizer.Decode(ids);
            if (decoded != text) failures.Add($"{JsonSerializer.Serialize(text)} decodes to {JsonSerializer.Serialize(decoded)}");
            if (text.Trim().Length > 0 && ids.Count == 0) failures.Add($"{JsonSerializer.Serialize(text)} encodes to nothing");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [SkippableTheory]
    [InlineData("gpt2")]
    [InlineData("llama2")]
    public void Package_tokenizers_give_the_text_back(string name) =>
        AssertRoundTrips(ModelTokenizer.FromFolder(SharedData.Path("data", "tokenizers", name)));

    [SkippableTheory]
    [InlineData("llama-bpe")]
    [InlineData("falcon")]
    [InlineData("deepseek-llm")]
    [InlineData("starcoder")]
    public void Tokenizer_json_files_give_the_text_back(string name)
    {
        using var folder = VocabularyFolders.Write(name);
        AssertRoundTrips(ModelTokenizer.FromFolder(folder.Path));
    }
}
