using System.Text.Json.Nodes;
using Simper.Tokenization;

namespace Simper.Tests.Tokenization;

/// <summary>Small tokenizer.json files written by hand, with encodings worked out by hand.</summary>
public class TokenizerJsonTests
{
    private static JsonObject AddedToken(int id, string content, bool special = true) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false,
        ["rstrip"] = false, ["normalized"] = false, ["special"] = special,
    };

    /// <summary>A ByteLevel pre-tokenizer or decoder with every field a real file has.</summary>
    private static JsonObject ByteLevel() => new()
    {
        ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true,
    };

    /// <summary>Byte-level BPE over a, b, c, Ġ (space) with merges given in priority order.</summary>
    private static string WriteByteLevel(TempFolder folder, JsonArray merges, bool addBosInConfig)
    {
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(AddedToken(7, "<|bos|>"), AddedToken(8, "<|eos|>")),
            ["normalizer"] = null,
            ["pre_tokenizer"] = ByteLevel(),
            ["post_processor"] = null,
            ["decoder"] = ByteLevel(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["vocab"] = new JsonObject { ["a"] = 0, ["b"] = 1, ["c"] = 2, ["Ġ"] = 3, ["ab"] = 4, ["abc"] = 5, ["Ġa"] = 6 },
                ["merges"] = merges,
            },
        };
        File.WriteAllText(folder.File("tokenizer.json"), json.ToJsonString());
        var config = new JsonObject
        {
            ["bos_token"] = new JsonObject { ["content"] = "<|bos|>", ["special"] = true },
            ["eos_token"] = "<|eos|>",
            ["add_bos_token"] = addBosInConfig,
            ["chat_template"] = new JsonArray(
                new JsonObject { ["name"] = "tool_use", ["template"] = "T" },
                new JsonObject { ["name"] = "default", ["template"] = "D" }),
        };
        File.WriteAllText(folder.File("tokenizer_config.json"), config.ToJsonString());
        return folder.Path;
    }

    [Fact]
    public void Merges_as_pairs_apply_in_file_order()
    {
        using var folder = new TempFolder();
        var dir = WriteByteLevel(folder, new JsonArray(new JsonArray("a", "b"), new JsonArray("ab", "c"), new JsonArray("Ġ", "a")), addBosInConfig: true);
        var tokenizer = ModelTokenizer.FromFolder(dir);

        // "abc" -> a b c -> ab c -> abc.  " ab" -> Ġ a b: (a b) outranks (Ġ a) -> Ġ ab, and (Ġ ab) is no merge.
        Assert.Equal([5, 3, 4], tokenizer.Encode("abc ab", addSpecialTokens: false));
        Assert.Equal([7, 5, 3, 4], tokenizer.Encode("abc ab"));   // BOS from add_bos_token
        Assert.Equal([4, 8, 2], tokenizer.Encode("ab<|eos|>c", addSpecialTokens: false));
        Assert.Equal("ab<|eos|>c", tokenizer.Decode([4, 8, 2]));
        Assert.Equal("abc", tokenizer.Decode([7, 4, 8, 2], skipSpecialTokens: true));
        Assert.Equal((7, 8), (tokenizer.BosTokenId, tokenizer.EosTokenId));
        Assert.Equal(9, tokenizer.VocabSize);
        Assert.Equal("D", tokenizer.ChatTemplate);
        Assert.Equal("Ġa", tokenizer.IdToToken(6));
        Assert.Equal(8, tokenizer.TokenToId("<|eos|>"));
    }

    [Fact]
    public void Merges_as_strings_apply_in_file_order()
    {
        using var folder = new TempFolder();
        var dir = WriteByteLevel(folder, new JsonArray("Ġ a", "a b", "ab c"), addBosInConfig: false);
        var tokenizer = ModelTokenizer.FromFolder(dir);

        // Now (Ġ a) outranks (a b): " ab" -> Ġa b, and (Ġa b) is no merge.
        Assert.Equal([5, 6, 1], tokenizer.Encode("abc ab"));
        Assert.Equal("abc ab", tokenizer.Decode([5, 6, 1]));
    }

    [Fact]
    public void Template_post_processor_with_a_special_token_first_means_bos_is_added()
    {
        using var folder = new TempFolder();
        var dir = WriteByteLevel(folder, new JsonArray("a b"), addBosInConfig: false);
        File.Delete(folder.File("tokenizer_config.json"));
        var json = JsonNode.Parse(File.ReadAllText(folder.File("tokenizer.json")))!;
        json["post_processor"] = new JsonObject
        {
            ["type"] = "TemplateProcessing",
            ["single"] = new JsonArray(
                new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<|bos|>", ["type_id"] = 0 } },
                new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
        };
        File.WriteAllText(folder.File("tokenizer.json"), json.ToJsonString());
        var tokenizer = ModelTokenizer.FromFolder(dir);

        Assert.True(tokenizer.AddBosToken);
        Assert.Equal("<|bos|>", tokenizer.BosToken);
        Assert.Equal([7, 4], tokenizer.Encode("ab"));
    }

    [Fact]
    public void Added_tokens_honour_lstrip_rstrip_and_single_word()
    {
        using var folder = new TempFolder();
        var dir = WriteByteLevel(folder, new JsonArray("a b"), addBosInConfig: false);
        var json = JsonNode.Parse(File.ReadAllText(folder.File("tokenizer.json")))!;
        var lstrip = AddedToken(9, "<L>"); lstrip["lstrip"] = true;
        var rstrip = AddedToken(10, "<R>"); rstrip["rstrip"] = true;
        var word = AddedToken(11, "cab", special: false); word["single_word"] = true;
        json["added_tokens"]!.AsArray().Add(lstrip);
        json["added_tokens"]!.AsArray().Add(rstrip);
        json["added_tokens"]!.AsArray().Add(word);
        File.WriteAllText(folder.File("tokenizer.json"), json.ToJsonString());
        var tokenizer = ModelTokenizer.FromFolder(dir);

        Assert.Equal([4, 9, 10, 4], tokenizer.Encode("ab  <L><R>  ab"));   // both runs of spaces are swallowed
        Assert.Equal([4, 3, 11], tokenizer.Encode("ab cab"));             // "cab" as a whole word
        Assert.Equal([2, 4, 2, 4], tokenizer.Encode("cabcab"));           // inside a word it is no token
        Assert.Equal(12, tokenizer.VocabSize);
    }

    [Fact]
    public void SentencePiece_style_tokenizer_json_prepends_meta_space_and_falls_back_to_bytes()
    {
        var vocab = new JsonObject { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (int b = 0; b < 256; b++) vocab[$"<0x{b:X2}>"] = 3 + b;
        vocab["▁"] = 259; vocab["a"] = 260; vocab["b"] = 261; vocab["▁a"] = 262; vocab["ab"] = 263; vocab["▁ab"] = 264;
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(AddedToken(0, "<unk>"), AddedToken(1, "<s>"), AddedToken(2, "</s>")),
            ["normalizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Prepend", ["prepend"] = "▁" },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "▁" }),
            },
            ["pre_tokenizer"] = null,
            // Llama 2's decoder: "▁" back to a space, <0xNN> tokens back to bytes, and the prepended space dropped.
            ["decoder"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "▁" }, ["content"] = " " },
                    new JsonObject { ["type"] = "ByteFallback" },
                    new JsonObject { ["type"] = "Fuse" },
                    new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 }),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["unk_token"] = "<unk>", ["byte_fallback"] = true, ["fuse_unk"] = true,
                ["vocab"] = vocab, ["merges"] = new JsonArray("▁ a", "a b", "▁a b"),
            },
        };
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("tokenizer.json"), json.ToJsonString());
        File.WriteAllText(folder.File("tokenizer_config.json"), """{"tokenizer_class": "LlamaTokenizerFast", "bos_token": "<s>", "eos_token": "</s>"}""");
        var tokenizer = ModelTokenizer.FromFolder(folder.Path);

        // "▁ab▁é": ▁ a b -> ▁a b -> ▁ab; ▁; é is not in the vocabulary -> its UTF-8 bytes C3 A9 -> ids 3+0xC3, 3+0xA9.
        Assert.Equal([1, 264, 259, 3 + 0xC3, 3 + 0xA9], tokenizer.Encode("ab é"));
        Assert.Equal("ab é", tokenizer.Decode([264, 259, 3 + 0xC3, 3 + 0xA9]));
        Assert.Equal([264, 1, 264], tokenizer.Encode("ab<s>ab", addSpecialTokens: false)); // "▁" before each piece (legacy)
    }

    [Fact]
    public void Ignore_merges_keeps_a_word_that_is_whole_in_the_vocabulary()
    {
        using var folder = new TempFolder();
        var dir = WriteByteLevel(folder, new JsonArray("a b"), addBosInConfig: false);
        Assert.Equal([4, 2], ModelTokenizer.FromFolder(dir).Encode("abc"));   // the merges build "ab" only

        var json = JsonNode.Parse(File.ReadAllText(folder.File("tokenizer.json")))!;
        json["model"]!["ignore_merges"] = true;
        File.WriteAllText(folder.File("tokenizer.json"), json.ToJsonString());
        Assert.Equal([5], ModelTokenizer.FromFolder(dir).Encode("abc"));
    }

    [Fact]
    public void An_added_token_the_byte_level_decoder_would_garble_decodes_to_its_content()
    {
        using var folder = new TempFolder();
        var dir = WriteByteLevel(folder, new JsonArray("a b"), addBosInConfig: false);
        var json = JsonNode.Parse(File.ReadAllText(folder.File("tokenizer.json")))!;
        // As DeepSeek LLM registers byte-level characters: "é" read as a byte-level character is the lone byte 0xE9.
        json["added_tokens"]!.AsArray().Add(AddedToken(9, "é", special: false));
        File.WriteAllText(folder.File("tokenizer.json"), json.ToJsonString());
        var tokenizer = ModelTokenizer.FromFolder(dir);

        Assert.Equal([4, 9, 2], tokenizer.Encode("abéc"));
        Assert.Equal("abéc", tokenizer.Decode([4, 9, 2]));
        Assert.Equal("abéc<|eos|>", tokenizer.Decode([4, 9, 2, 8]));
        Assert.Equal("abéc", tokenizer.Decode([4, 9, 2, 8], skipSpecialTokens: true));
    }

    [Fact]
    public void A_sequence_of_pre_tokenizers_applies_each_one()
    {
        using var folder = new TempFolder();
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(),
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Digits", ["individual_digits"] = true },
                    ByteLevel()),
            },
            ["decoder"] = ByteLevel(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["vocab"] = new JsonObject { ["1"] = 0, ["2"] = 1, ["12"] = 2, ["a"] = 3, ["Ġ"] = 4, ["Ġ1"] = 5 },
                ["merges"] = new JsonArray("1 2", "Ġ 1"),
            },
        };
        File.WriteAllText(folder.File("tokenizer.json"), json.ToJsonString());
        var tokenizer = ModelTokenizer.FromFolder(folder.Path);

        // Digits cuts "a 12" into "a ", "1", "2" before the byte-level regex; alone, that regex would give "a", " 12".
        Assert.Equal([3, 4, 0, 1], tokenizer.Encode("a 12"));
        Assert.Equal("a 12", tokenizer.Decode([3, 4, 0, 1]));
    }

    [Theory]
    [InlineData("pre_tokenizer", "Bogus")]
    [InlineData("normalizer", "Frobnicate")]
    [InlineData("decoder", "Mystery")]
    public void A_component_the_library_does_not_know_is_a_one_line_error_naming_it(string section, string type)
    {
        using var folder = new TempFolder();
        var dir = WriteByteLevel(folder, new JsonArray("a b"), addBosInConfig: false);
        var json = JsonNode.Parse(File.ReadAllText(folder.File("tokenizer.json")))!;
        json[section] = new JsonObject
        {
            ["type"] = "Sequence",
            [section == "normalizer" ? "normalizers" : section == "decoder" ? "decoders" : "pretokenizers"] =
                new JsonArray(new JsonObject { ["type"] = type }),
        };
        File.WriteAllText(folder.File("tokenizer.json"), json.ToJsonString());

        var error = Assert.Throws<SimperException>(() => ModelTokenizer.FromFolder(dir));
        Assert.Contains($"{section} type \"{type}\" is not supported", error.Message);
        Assert.StartsWith(folder.File("tokenizer.json"), error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_folder_without_tokenizer_files_is_a_one_line_error()
    {
        using var folder = new TempFolder();
        var error = Assert.Throws<SimperException>(() => ModelTokenizer.FromFolder(folder.Path));
        Assert.Contains("expected tokenizer.json, vocab.json + merges.txt, or tokenizer.model", error.Message);
    }
}
