using Simper.Data;
using static Simper.Tests.Data.DataFilesForTests;

namespace Simper.Tests.Data;

public class FormatDetectionTests
{
    private static readonly DataOptions Defaults = new();

    private static string Jsonl(TempFolder temp, params string[] lines) => Write(temp.File("d.jsonl"), string.Join("\n", lines) + "\n");

    [Fact]
    public void StandardPreferenceKeepsTextAsIs()
    {
        using var temp = new TempFolder();
        var path = Jsonl(temp, "{\"prompt\": \"The sky is\", \"chosen\": \" blue.\", \"rejected\": \" green.\"}");
        var example = Assert.Single(DatasetLoader.LoadPreferences(path, Defaults).Examples);
        Assert.Equal(("The sky is", " blue.", " green."), (example.Prompt.Text, example.Chosen.Text, example.Rejected.Text));
        Assert.Null(example.RefChosenLogps);
    }

    [Fact]
    public void ConversationalPreferenceReadsMessageLists()
    {
        using var temp = new TempFolder();
        var path = Jsonl(temp,
            "{\"prompt\": [{\"role\": \"user\", \"content\": \"What color is the sky?\"}], \"chosen\": [{\"role\": \"assistant\", \"content\": \"It is blue.\"}], \"rejected\": [{\"role\": \"assistant\", \"content\": \"It is green.\"}], \"ref_chosen_logps\": -1.5, \"ref_rejected_logps\": -2}");
        var example = Assert.Single(DatasetLoader.LoadPreferences(path, Defaults).Examples);
        Assert.Equal([new Message("user", "What color is the sky?")], example.Prompt.Messages!);
        Assert.Equal([new Message("assistant", "It is blue.")], example.Chosen.Messages!);
        Assert.Equal([new Message("assistant", "It is green.")], example.Rejected.Messages!);
        Assert.Equal((-1.5, -2.0), (example.RefChosenLogps, example.RefRejectedLogps));
    }

    [Fact]
    public void ImplicitPromptOverMessagesTakesTheSharedTurns()
    {
        using var temp = new TempFolder();
        // TRL's maybe_extract_prompt docstring example.
        var path = Jsonl(temp,
            "{\"chosen\": [{\"role\": \"user\", \"content\": \"What color is the sky?\"}, {\"role\": \"assistant\", \"content\": \"It is blue.\"}], \"rejected\": [{\"role\": \"user\", \"content\": \"What color is the sky?\"}, {\"role\": \"assistant\", \"content\": \"It is green.\"}]}");
        var example = Assert.Single(DatasetLoader.LoadPreferences(path, Defaults).Examples);
        Assert.Equal([new Message("user", "What color is the sky?")], example.Prompt.Messages!);
        Assert.Equal([new Message("assistant", "It is blue.")], example.Chosen.Messages!);
        Assert.Equal([new Message("assistant", "It is green.")], example.Rejected.Messages!);
    }

    [Theory]
    [InlineData("The sky is blue.", "The sky is green.", "The sky is", " blue.", " green.")]
    [InlineData("ab", "ac", "a", "b", "c")]
    [InlineData("say hi", "say ho", "say h", "i", "o")]
    // No differing position: TRL's loop index stays on the last character of the shorter string.
    [InlineData("same", "same", "sam", "e", "e")]
    [InlineData("abc", "abcdef", "ab", "c", "cdef")]
    // Positions are code points: a difference in the second half of a surrogate pair splits before the pair.
    [InlineData("x 😀", "x 😁", "x", " 😀", " 😁")]
    public void ImplicitPromptMirrorsTrl(string chosen, string rejected, string prompt, string chosenRest, string rejectedRest) =>
        Assert.Equal((prompt, chosenRest, rejectedRest), ImplicitPrompt.Split(chosen, rejected));

    [Fact]
    public void ImplicitPromptNeedsASharedStart() => Assert.Null(ImplicitPrompt.Split("abc", "xbc"));

    [Fact]
    public void UnpairedTrlFormatReadsLabels()
    {
        using var temp = new TempFolder();
        var path = Jsonl(temp,
            "{\"prompt\": \"Q1\", \"completion\": \" good\", \"label\": true}",
            "{\"prompt\": \"Q2\", \"completion\": \" bad\", \"label\": false}");
        var result = DatasetLoader.LoadUnpaired(path, Defaults);
        Assert.Equal([true, false], result.Examples.Select(e => e.Desirable));
        Assert.Equal(" bad", result.Examples[1].Completion.Text);
        Assert.StartsWith("TRL unpaired", result.Format);
    }

    [Fact]
    public void UnpairedPreTokenized()
    {
        using var temp = new TempFolder();
        var path = Jsonl(temp, "{\"prompt_input_ids\": [1, 2], \"completion_input_ids\": [3], \"label\": false}");
        var example = Assert.Single(DatasetLoader.LoadUnpaired(path, Defaults).Examples);
        Assert.Equal([1, 2], example.Prompt.TokenIds!);
        Assert.Equal([3], example.Completion.TokenIds!);
        Assert.False(example.Desirable);
    }

    [Fact]
    public void SftFormats()
    {
        using var temp = new TempFolder();
        var text = Write(temp.File("text.jsonl"), "{\"text\": \"Once upon a time\"}\n");
        var pc = Write(temp.File("pc.jsonl"), "{\"prompt\": \"2+2=\", \"completion\": \"4\"}\n");
        var messages = Write(temp.File("m.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}]}\n");
        var sharegpt = Write(temp.File("s.json"),
            "[{\"system\": \"Be brief.\", \"conversations\": [{\"from\": \"human\", \"value\": \"Hi\"}, {\"from\": \"gpt\", \"value\": \"Hello\"}]}]");

        var lm = Assert.Single(DatasetLoader.LoadSft(text, Defaults).Examples);
        Assert.Null(lm.Prompt);
        Assert.Equal("Once upon a time", lm.Completion.Text);
        var promptCompletion = Assert.Single(DatasetLoader.LoadSft(pc, Defaults).Examples);
        Assert.Equal(("2+2=", "4"), (promptCompletion.Prompt!.Text, promptCompletion.Completion.Text));
        Assert.Equal([new Message("user", "Hi"), new Message("assistant", "Hello")],
            Assert.Single(DatasetLoader.LoadSft(messages, Defaults).Examples).Completion.Messages!);
        Assert.Equal([new Message("system", "Be brief."), new Message("user", "Hi"), new Message("assistant", "Hello")],
            Assert.Single(DatasetLoader.LoadSft(sharegpt, Defaults).Examples).Completion.Messages!);
    }

    [Fact]
    public void FieldMappingRenamesForEveryTask()
    {
        using var temp = new TempFolder();
        var path = Jsonl(temp, "{\"q\": \"Why?\", \"a\": \" Because.\", \"ok\": true}");
        var sft = Assert.Single(DatasetLoader.LoadSft(path, new DataOptions { FieldMap = "prompt=q, completion=a" }).Examples);
        Assert.Equal(("Why?", " Because."), (sft.Prompt!.Text, sft.Completion.Text));
        var kto = Assert.Single(DatasetLoader.LoadUnpaired(path, new DataOptions { FieldMap = "prompt=q,completion=a,label=ok" }).Examples);
        Assert.True(kto.Desirable);
    }

    [Fact]
    public void PairsSplitIntoUnpairedExamples()
    {
        var source = new RowSource("f.jsonl", 0, 1);
        var pair = new PreferenceExample(Prompt.FromText("P"), Completion.FromText(" yes"), Completion.FromText(" no"), null, null, source);
        var (desirable, undesirable) = pair.Unpair();
        Assert.Equal((" yes", true), (desirable.Completion.Text, desirable.Desirable));
        Assert.Equal((" no", false), (undesirable.Completion.Text, undesirable.Desirable));
        Assert.Equal(source, undesirable.Source);
    }

    [Fact]
    public void ParquetConversationalPreference()
    {
        using var temp = new TempFolder();
        var message = new Parquet.Schema.StructField("element", new Parquet.Schema.DataField<string>("role"), new Parquet.Schema.DataField<string>("content"));
        var schema = new Parquet.Schema.ParquetSchema(
            new Parquet.Schema.ListField("prompt", message),
            new Parquet.Schema.ListField("chosen", new Parquet.Schema.StructField("element", new Parquet.Schema.DataField<string>("role"), new Parquet.Schema.DataField<string>("content"))),
            new Parquet.Schema.ListField("rejected", new Parquet.Schema.StructField("element", new Parquet.Schema.DataField<string>("role"), new Parquet.Schema.DataField<string>("content"))));
        var path = WriteParquet(temp.File("train-00000-of-00001.parquet"), schema,
        [
            new Dictionary<string, object?>
            {
                ["prompt"] = new List<Dictionary<string, object?>> { Message("user", "Hi") },
                ["chosen"] = new List<Dictionary<string, object?>> { Message("assistant", "Hello!") },
                ["rejected"] = new List<Dictionary<string, object?>> { Message("assistant", "Go away.") },
            },
        ]);
        var example = Assert.Single(DatasetLoader.LoadPreferences(temp.Path, new DataOptions { Split = "train" }).Examples);
        Assert.Equal([new Message("user", "Hi")], example.Prompt.Messages!);
        Assert.Equal("Go away.", example.Rejected.Messages![0].Content);
        Assert.Equal($"{path}[0]", example.Source.ToString());
    }
}
