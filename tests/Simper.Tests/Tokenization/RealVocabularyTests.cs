using System.Text.Json;
using Simper.Tokenization;

namespace Simper.Tests.Tokenization;

/// <summary>
/// Llama 3, Falcon, DeepSeek LLM and StarCoder2 tokenizer.json files (shared/data/tokenizer-tests/vocabs): the 46
/// test strings give exactly the ids their own Hugging Face tokenizers give, and decode back.
/// </summary>
public class RealVocabularyTests
{


    [SkippableTheory]
    [InlineData("llama-bpe")]
    [InlineData("falcon")]
    [InlineData("deepseek-llm")]
    [InlineData("starcoder")]
    public void Every_test_string_encodes_to_the_reference_ids_and_decodes_back(string name)
    {
        using var folder = VocabularyFolders.Write(name);
        var tokenizer = ModelTokenizer.FromFolder(folder.Path);
        var inputs = VocabularyTestFiles.ReadInputs(Path.Combine(VocabularyFolders.Source(name), "inp"));
        var expected = VocabularyTestFiles.ReadExpected(Path.Combine(VocabularyFolders.Source(name), "out"));
        Assert.Equal(46, inputs.Count);
        Assert.Equal(46, expected.Count);

        var failures = new List<string>();
        var batch = tokenizer.EncodeBatch(inputs, addSpecialTokens: false);
        for (int i = 0; i < inputs.Count; i++)
        {
            var ids = tokenizer.Encode(inputs[i], addSpecialTokens: false);
            if (!ids.SequenceEqual(expected[i]))
                failures.Add($"#{i} {JsonSerializer.Serialize(inputs[i])}: got [{string.Join(' ', ids)}], expected [{string.Join(' ', expected[i])}]");
            if (!batch[i].SequenceEqual(ids)) failures.Add($"#{i}: the batch encoding differs");
            var decoded = tokenizer.Decode(ids);
            if (decoded != inputs[i]) failures.Add($"#{i} decodes to {JsonSerializer.Serialize(decoded)}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.False(tokenizer.AddBosToken);   // add_bos_token: false in tokenizer_config.json
    }

    [SkippableFact]
    public void Llama3_keeps_whole_words_the_merges_cannot_build_and_matches_its_special_tokens()
    {
        using var folder = VocabularyFolders.Write("llama-bpe");
        var tokenizer = ModelTokenizer.FromFolder(folder.Path);

        Assert.Equal([34, 91163, 101798], tokenizer.Encode("Cửa Việt"));   // ignore_merges
        Assert.Equal((128000, 128001), (tokenizer.BosTokenId, tokenizer.EosTokenId));
        Assert.Equal(128256, tokenizer.VocabSize);
        // The file's post-processor (which adds <|begin_of_text|>) is not applied; add_bos_token says no BOS.
        Assert.Equal([9906, 1917], tokenizer.Encode("Hello world"));
        Assert.Equal([128000, 9906, 128001, 1917], tokenizer.Encode("<|begin_of_text|>Hello<|end_of_text|> world"));
        Assert.Equal("<|begin_of_text|>Hello<|end_of_text|> world", tokenizer.Decode([128000, 9906, 128001, 1917]));
        Assert.Equal("Hello world", tokenizer.Decode([128000, 9906, 128001, 1917], skipSpecialTokens: true));
        Assert.Equal("<|end_of_text|>", tokenizer.IdToToken(128001));
        Assert.Equal(9906, tokenizer.TokenToId("Hello"));
    }

    [SkippableFact]
    public void Falcon_keeps_the_text_between_its_split_matches()
    {
        using var folder = VocabularyFolders.Write("falcon");
        var tokenizer = ModelTokenizer.FromFolder(folder.Path);

        var ids = tokenizer.Encode("Hello world", addSpecialTokens: false);
        Assert.NotEmpty(ids);
        Assert.Equal("Hello world", tokenizer.Decode(ids));
    }
}
