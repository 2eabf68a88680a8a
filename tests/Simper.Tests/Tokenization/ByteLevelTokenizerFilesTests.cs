using System.Text;
using System.Text.Json.Nodes;
using Simper.Tokenization;

namespace Simper.Tests.Tokenization;

public class ByteLevelTokenizerFilesTests
{
    [Theory]
    [InlineData("Hello, world!")]
    [InlineData("emoji 🚀🙂‍↔️ and CJK 我想在apple工作 and Ъ")]
    [InlineData("lines\n\n\ttabbed\r\n  spaced   \n")]
    [InlineData("")]
    public void Written_tokenizer_encodes_utf8_bytes_and_decodes_back(string text)
    {
        using var folder = new TempFolder();
        Assert.Equal(261, ByteLevelTokenizerFiles.Write(folder.Path));
        var tokenizer = ModelTokenizer.FromFolder(folder.Path);

        var bytes = Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();
        Assert.Equal(bytes, tokenizer.Encode(text, addSpecialTokens: false));
        Assert.Equal([256, .. bytes], tokenizer.Encode(text));
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text), skipSpecialTokens: true));
        Assert.Equal(261, tokenizer.VocabSize);
        Assert.Equal((256, 256, 257), (tokenizer.BosTokenId, tokenizer.EosTokenId, tokenizer.PadTokenId));
        Assert.True(tokenizer.AddBosToken);
        Assert.False(tokenizer.AddEosToken);
        Assert.Equal(ByteLevelTokenizerFiles.ChatTemplate, tokenizer.ChatTemplate);
    }

    [Fact]
    public void Chat_markers_are_single_special_tokens()
    {
        using var folder = new TempFolder();
        ByteLevelTokenizerFiles.Write(folder.Path);
        var tokenizer = ModelTokenizer.FromFolder(folder.Path);

        Assert.Equal([259, (int)'\n', (int)'h', (int)'i', 256], tokenizer.Encode("<|user|>\nhi<|endoftext|>", addSpecialTokens: false));
        Assert.Equal("<|assistant|>", tokenizer.IdToToken(260));
        Assert.Equal("\nhi", tokenizer.Decode([259, 10, 104, 105, 256], skipSpecialTokens: true));
    }

    [Fact]
    public void Files_have_the_shape_hugging_face_loads()
    {
        using var folder = new TempFolder();
        ByteLevelTokenizerFiles.Write(folder.Path, modelMaxLength: 512);
        var json = JsonNode.Parse(File.ReadAllText(folder.File("tokenizer.json")))!;
        var config = JsonNode.Parse(File.ReadAllText(folder.File("tokenizer_config.json")))!;

        Assert.Equal("1.0", (string?)json["version"]);
        Assert.Null(json["truncation"]);
        Assert.Null(json["padding"]);
        Assert.Null(json["normalizer"]);
        Assert.Equal("ByteLevel", (string?)json["pre_tokenizer"]!["type"]);
        Assert.False((bool)json["pre_tokenizer"]!["add_prefix_space"]!);
        Assert.True((bool)json["pre_tokenizer"]!["use_regex"]!);
        Assert.Equal("ByteLevel", (string?)json["decoder"]!["type"]);
        Assert.Equal("TemplateProcessing", (string?)json["post_processor"]!["type"]);
        var model = json["model"]!;
        Assert.Equal("BPE", (string?)model["type"]);
        Assert.Empty(model["merges"]!.AsArray());
        var vocab = model["vocab"]!.AsObject();
        Assert.Equal(256, vocab.Count);
        // GPT-2's byte map: printable ASCII stands for itself, space is Ġ (U+0120), newline Ċ (U+010A).
        Assert.Equal(65, (int)vocab["A"]!);
        Assert.Equal(32, (int)vocab["\u0120"]!);
        Assert.Equal(10, (int)vocab["\u010A"]!);
        Assert.Equal(Enumerable.Range(0, 256), vocab.Select(kv => (int)kv.Value!).Order());
        var added = json["added_tokens"]!.AsArray();
        Assert.Equal(["<|endoftext|>", "<|pad|>", "<|system|>", "<|user|>", "<|assistant|>"], added.Select(t => (string)t!["content"]!));
        Assert.Equal([256, 257, 258, 259, 260], added.Select(t => (int)t!["id"]!));
        Assert.All(added, t => Assert.True((bool)t!["special"]!));

        Assert.Equal("PreTrainedTokenizerFast", (string?)config["tokenizer_class"]);
        Assert.Equal("<|endoftext|>", (string?)config["bos_token"]);
        Assert.Equal("<|endoftext|>", (string?)config["eos_token"]);
        Assert.Equal("<|pad|>", (string?)config["pad_token"]);
        Assert.True((bool)config["add_bos_token"]!);
        Assert.Equal(512, (int)config["model_max_length"]!);
        Assert.Contains("add_generation_prompt", (string?)config["chat_template"]);
    }
}
