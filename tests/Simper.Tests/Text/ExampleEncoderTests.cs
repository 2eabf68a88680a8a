using Simper.Data;
using Simper.Templates;
using Simper.Text;
using Simper.Tokenization;

namespace Simper.Tests.Text;

/// <summary>Rows are encoded on all cores; the result and the errors must be those of encoding them one by one.</summary>
public class ExampleEncoderTests
{
    // Renders each message's content; a message with the role "bad" stops the template, naming its content.
    private const string Template =
        "{% for m in messages %}{% if m['role'] == 'bad' %}{{ raise_exception('bad message ' + m['content']) }}{% endif %}" +
        "<|{{ m['role'] }}|>{{ m['content'] }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}";

    private static PromptResponseEncoder Encoder(TempFolder folder)
    {
        ByteLevelTokenizerFiles.Write(folder.Path);
        var tokenizer = ModelTokenizer.FromFolder(folder.Path);
        return new PromptResponseEncoder(tokenizer, new ChatTemplate(Template, tokenizer.BosToken, tokenizer.EosToken));
    }

    private static PreferenceExample Row(int i, string role = "user") => new(
        Prompt.FromMessages([new Message(role, $"question {i} " + new string('x', i % 37))]),
        Completion.FromMessages([new Message("assistant", $"yes {i}")]),
        Completion.FromMessages([new Message("assistant", $"no {i}")]),
        null, null, new RowSource("pairs.jsonl", i, i + 1));

    [Fact]
    public void Many_rows_encode_in_order_as_one_by_one()
    {
        using var folder = new TempFolder();
        var text = Encoder(folder);
        var rows = Enumerable.Range(0, 300).Select(i => Row(i)).ToList();

        var encoder = new ExampleEncoder(text, TruncationOptions.None);
        var all = encoder.EncodePairs(rows);

        Assert.Equal(300, all.Count);
        Assert.Equal(300, encoder.Report.Examples); // a pair counts once
        for (int i = 0; i < rows.Count; i += 37)
        {
            var alone = new ExampleEncoder(text, TruncationOptions.None).EncodePairs([rows[i]])[0];
            Assert.Equal(rows[i].Source, all[i].Source);
            Assert.Equal(alone.Prompt, all[i].Prompt);
            Assert.Equal(alone.Chosen, all[i].Chosen);
            Assert.Equal(alone.Rejected, all[i].Rejected);
            Assert.EndsWith($"question {i} " + new string('x', i % 37) + "<|endoftext|><|assistant|>", text.Tokenizer.Decode(all[i].Prompt));
        }
    }

    [Fact]
    public void The_first_failing_row_is_the_one_named()
    {
        using var folder = new TempFolder();
        var text = Encoder(folder);
        var rows = Enumerable.Range(0, 300).Select(i => Row(i, role: i is 57 or 250 ? "bad" : "user")).ToList();

        var error = Assert.Throws<SimperException>(() => new ExampleEncoder(text, TruncationOptions.None).EncodePairs(rows));
        Assert.StartsWith("pairs.jsonl:58: chat template failed", error.Message);
        Assert.Contains("bad message question 57", error.Message);
    }
}
