using System.Text.Json;
using Simper.Tokenization;

namespace Simper.Tests.Tokenization;

/// <summary>The reference tokenizer test suites (46 strings each, expected ids from the reference tokenizers).</summary>
public class ReferenceVocabularyTests
{


    private static void AssertSuite(ModelTokenizer tokenizer, string name)
    {
        var inputs = VocabularyTestFiles.ReadInputs(SharedData.Path("data", "tokenizer-tests", name + ".inp"));
        var expected = VocabularyTestFiles.ReadExpected(SharedData.Path("data", "tokenizer-tests", name + ".out"));
        Assert.Equal(46, inputs.Count);
        Assert.Equal(46, expected.Count);
        var failures = new List<string>();
        for (int i = 0; i < inputs.Count; i++)
        {
            var ids = tokenizer.Encode(inputs[i], addSpecialTokens: false);
            if (!ids.SequenceEqual(expected[i]))
                failures.Add($"#{i} {JsonSerializer.Serialize(inputs[i])}: got [{string.Join(' ', ids)}], expected [{string.Join(' ', expected[i])}]");
            var decoded = tokenizer.Decode(ids);
            if (decoded != inputs[i]) failures.Add($"#{i} decodes to {JsonSerializer.Serialize(decoded)}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [SkippableFact]
    public void Gpt2_vocab_and_merges_encode_all_46_cases_exactly_and_decode_back()
    {
        var tokenizer = ModelTokenizer.FromFolder(SharedData.Path("data", "tokenizers", "gpt2"));
        AssertSuite(tokenizer, "gpt-2");
        Assert.Equal(50257, tokenizer.VocabSize);
        Assert.False(tokenizer.AddBosToken);
        Assert.Equal(50256, tokenizer.EosTokenId);
        Assert.Equal([15496, 995], tokenizer.Encode("Hello world"));
        Assert.Equal([15496, 50256, 995], tokenizer.Encode("Hello<|endoftext|> world"));
    }

    [SkippableFact]
    public void Llama2_sentencepiece_model_encodes_all_46_cases_exactly_and_decodes_back()
    {
        var tokenizer = ModelTokenizer.FromFolder(SharedData.Path("data", "tokenizers", "llama2"));
        AssertSuite(tokenizer, "llama-spm");
        Assert.Equal(32000, tokenizer.VocabSize);
        Assert.True(tokenizer.AddBosToken); // LlamaTokenizer's default without tokenizer_config.json
        Assert.False(tokenizer.AddEosToken);
        Assert.Equal((1, 2, 0), (tokenizer.BosTokenId, tokenizer.EosTokenId, tokenizer.UnkTokenId));
        Assert.Equal("<s>", tokenizer.BosToken);
        Assert.Null(tokenizer.PadTokenId);
        Assert.Equal([1, 15043, 3186], tokenizer.Encode("Hello world"));
        Assert.Equal("<s> Hello world</s>", tokenizer.Decode([1, 15043, 3186, 2]));
        Assert.Equal("Hello world", tokenizer.Decode([1, 15043, 3186, 2], skipSpecialTokens: true));
    }

    [SkippableFact]
    public void Stories260K_decodes_the_published_greedy_text_byte_for_byte()
    {
        var dir = SharedData.Path("data", "stories260K");
        var tokenizer = ModelTokenizer.FromFolder(dir);
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "expected-greedy.json")));
        var promptIds = expected.RootElement.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var generated = expected.RootElement.GetProperty("generated_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var text = expected.RootElement.GetProperty("text").GetString();

        Assert.Equal(512, tokenizer.VocabSize);
        Assert.Equal([1], promptIds);
        Assert.Equal(promptIds, tokenizer.Encode(""));   // BOS only, from add_bos_token
        Assert.Equal(512, tokenizer.ModelMaxLength);
        Assert.Equal(text, tokenizer.Decode(generated));
        Assert.Equal(text, tokenizer.Decode(promptIds.Concat(generated), skipSpecialTokens: true));
        Assert.Equal([.. promptIds, .. generated], tokenizer.Encode(text!));
    }
}
