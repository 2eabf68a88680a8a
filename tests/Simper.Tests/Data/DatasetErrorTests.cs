using Parquet.Schema;
using Simper.Data;
using static Simper.Tests.Data.DataFilesForTests;

namespace Simper.Tests.Data;

/// <summary>Every user mistake is one line naming the file, line or row, the field, what was found and what was expected.</summary>
public class DatasetErrorTests
{
    private const string Good = "{\"prompt\": \"Q\", \"chosen\": \" yes\", \"rejected\": \" no\"}";
    private const string AcceptedPreference =
        "accepted: pre-tokenized preference (prompt_input_ids, chosen_input_ids, rejected_input_ids); ShareGPT preference (conversations, chosen, rejected); TRL preference (prompt, chosen, rejected); TRL implicit-prompt preference (chosen, rejected); name other fields with a field mapping such as prompt=question,chosen=response_j,rejected=response_k";

    private static string Preferences(string path, DataOptions? options = null) =>
        Assert.Throws<SimperException>(() => DatasetLoader.LoadPreferences(path, options ?? new DataOptions())).Message;

    private static string Lines(TempFolder temp, params string[] lines) => Write(temp.File("d.jsonl"), string.Join("\n", lines) + "\n");

    [Fact]
    public void MalformedJsonLine()
    {
        using var temp = new TempFolder();
        var path = Lines(temp, Good, "{\"prompt\": \"Q\", \"chosen\": }");
        Assert.Equal($"{path}:2: malformed JSON at byte 27: '}}' is an invalid start of a value.", Preferences(path));
    }

    [Fact]
    public void WrongFieldType()
    {
        using var temp = new TempFolder();
        var path = Lines(temp, "{\"prompt\": \"Q\", \"chosen\": 3, \"rejected\": \" no\"}");
        Assert.Equal($"{path}:1: field 'chosen': expected a string or a list of messages, found number", Preferences(path));
    }

    [Fact]
    public void MissingFieldNamesTheDetectedFormat()
    {
        using var temp = new TempFolder();
        var path = Lines(temp, Good, "{\"prompt\": \"Q\", \"chosen\": \" yes\"}");
        Assert.Equal($"{path}:2: field 'rejected' is missing; the TRL preference (prompt, chosen, rejected) format needs it", Preferences(path));
    }

    [Fact]
    public void EmptyPromptAndEmptyResponse()
    {
        using var temp = new TempFolder();
        var path = Lines(temp, "{\"prompt\": \"\", \"chosen\": \" yes\", \"rejected\": \" no\"}");
        Assert.Equal($"{path}:1: field 'prompt': empty string", Preferences(path));
        var messages = Write(temp.File("m.jsonl"),
            "{\"prompt\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"chosen\": [{\"role\": \"assistant\", \"content\": \"\"}], \"rejected\": [{\"role\": \"assistant\", \"content\": \"No\"}]}\n");
        Assert.Equal($"{messages}:1: field 'chosen': message 0 has empty content", Preferences(messages));
    }

    [Fact]
    public void InvalidUtf8InJsonLines()
    {
        using var temp = new TempFolder();
        byte[] bytes = [.. System.Text.Encoding.UTF8.GetBytes(Good + "\n{\"prompt\": \"caf"), 0xE9, .. "\", \"chosen\": \" a\", \"rejected\": \" b\"}\n"u8];
        var path = WriteBytes(temp.File("d.jsonl"), bytes);
        Assert.Equal($"{path}:2: invalid UTF-8 bytes at byte 16 (the file must be UTF-8)", Preferences(path));
    }

    [Fact]
    public void InvalidUtf8InJsonArray()
    {
        using var temp = new TempFolder();
        byte[] bytes = [.. System.Text.Encoding.UTF8.GetBytes("[\n" + Good + ",\n{\"prompt\": \"caf"), 0xE9, .. "\", \"chosen\": \" a\", \"rejected\": \" b\"}\n]"u8];
        var path = WriteBytes(temp.File("d.json"), bytes);
        Assert.Equal($"{path}:3: invalid UTF-8 bytes (the file must be UTF-8)", Preferences(path, new DataOptions { SkipBadRows = true }));
    }

    [Fact]
    public void OverlongLineIsAnErrorAndTheNextLineStillReads()
    {
        using var temp = new TempFolder();
        var huge = "{\"prompt\": \"" + new string('x', 1024 * 1024) + "\", \"chosen\": \" a\", \"rejected\": \" b\"}";
        var path = Lines(temp, Good, huge, Good);
        var options = new DataOptions { MaxLineBytes = 1024 * 1024 };
        Assert.Equal($"{path}:2: line is longer than 1 MiB", Preferences(path, options));
        var skipped = DatasetLoader.LoadPreferences(path, options with { SkipBadRows = true });
        Assert.Equal(2, skipped.Examples.Count);
        Assert.Equal($"{path}:3", skipped.Examples[1].Source.ToString());
        Assert.Equal(1, skipped.SkippedRows);
    }

    [Fact]
    public void DefaultLineLimitIs64MiB() => Assert.Equal(64 * 1024 * 1024, new DataOptions().MaxLineBytes);

    [Fact]
    public void EmptyFiles()
    {
        using var temp = new TempFolder();
        var jsonl = Write(temp.File("d.jsonl"), "");
        var json = Write(temp.File("d.json"), "[]");
        Assert.Equal($"{jsonl}: the file holds no rows", Preferences(jsonl, new DataOptions { SkipBadRows = true }));
        Assert.Equal($"{json}: the file holds no rows", Preferences(json));
    }

    [Fact]
    public void ParquetWithoutTheNeededColumnsListsItsColumns()
    {
        using var temp = new TempFolder();
        var schema = new ParquetSchema(new DataField<string>("question"), new DataField<double>("score"));
        var path = WriteParquet(temp.File("d.parquet"), schema, [new Dictionary<string, object?> { ["question"] = "Q", ["score"] = 1.0 }]);
        Assert.Equal($"{path}[0]: no preference format matches the fields question, score; {AcceptedPreference}", Preferences(path));
    }

    [Fact]
    public void UnknownFormatIsNotSkipped()
    {
        using var temp = new TempFolder();
        var path = Lines(temp, "{\"instruction\": \"Q\", \"output\": \"A\"}");
        Assert.Equal($"{path}:1: no preference format matches the fields instruction, output; {AcceptedPreference}",
            Preferences(path, new DataOptions { SkipBadRows = true }));
    }

    [Fact]
    public void SkipBadRowsCountsAndKeepsTheProblems()
    {
        using var temp = new TempFolder();
        var path = Lines(temp, Good, "@bad", "{\"prompt\": \"Q\", \"chosen\": null, \"rejected\": \" no\"}", "[1]", Good);
        var result = DatasetLoader.LoadPreferences(path, new DataOptions { SkipBadRows = true });
        Assert.Equal(2, result.Examples.Count);
        Assert.Equal(3, result.SkippedRows);
        Assert.Equal(
            $"{path}:2: malformed JSON at byte 1: '@' is an invalid start of a value.\n" +
            $"{path}:3: field 'chosen': expected a string or a list of messages, found null\n" +
            $"{path}:4: expected a JSON object, found list",
            string.Join("\n", result.Problems));
    }

    [Fact]
    public void MixedTextAndMessages()
    {
        using var temp = new TempFolder();
        var path = Lines(temp, Good,
            "{\"prompt\": \"Q\", \"chosen\": [{\"role\": \"assistant\", \"content\": \"A\"}], \"rejected\": \" no\"}");
        Assert.Equal($"{path}:2: field 'chosen': expected a string like the rest of the dataset, found a list of messages", Preferences(path));
    }

    [Fact]
    public void BadMessageShape()
    {
        using var temp = new TempFolder();
        var path = Lines(temp, "{\"prompt\": [{\"role\": \"user\", \"text\": \"Hi\"}], \"chosen\": \" a\", \"rejected\": \" b\"}");
        Assert.Equal($"{path}:1: field 'prompt': message 0: expected an object with 'role' and 'content' strings, found an object with 'role' (string), 'text' (string)",
            Preferences(path));
    }

    [Fact]
    public void BadTokenIdsAndReferenceLogps()
    {
        using var temp = new TempFolder();
        var ids = Lines(temp, "{\"prompt_input_ids\": [1], \"chosen_input_ids\": [2, 1.5], \"rejected_input_ids\": [3]}");
        Assert.Equal($"{ids}:1: field 'chosen_input_ids': item 1: expected a token id (a non-negative integer), found 1.5", Preferences(ids));
        var logps = Write(temp.File("l.jsonl"), "{\"prompt_input_ids\": [1], \"chosen_input_ids\": [2], \"rejected_input_ids\": [3], \"ref_chosen_logps\": -1}\n");
        Assert.Equal($"{logps}:1: field 'ref_rejected_logps' is missing; it must come with 'ref_chosen_logps'", Preferences(logps));
        var text = Write(temp.File("t.jsonl"), "{\"prompt_input_ids\": [1], \"chosen_input_ids\": [2], \"rejected_input_ids\": [3], \"ref_chosen_logps\": \"-1\", \"ref_rejected_logps\": -2}\n");
        Assert.Equal($"{text}:1: field 'ref_chosen_logps': expected a number, found string", Preferences(text));
    }

    [Fact]
    public void ImplicitPromptWithNothingShared()
    {
        using var temp = new TempFolder();
        var path = Lines(temp, "{\"chosen\": \"Yes.\", \"rejected\": \"No.\"}");
        Assert.Equal($"{path}:1: fields 'chosen' and 'rejected' share no prompt: they differ from the start", Preferences(path));
    }

    [Fact]
    public void UnpairedProblems()
    {
        using var temp = new TempFolder();
        var label = Lines(temp, "{\"prompt\": \"Q\", \"completion\": \" a\", \"label\": \"yes\"}");
        Assert.Equal($"{label}:1: field 'label': expected true or false, found string",
            Assert.Throws<SimperException>(() => DatasetLoader.LoadUnpaired(label, new DataOptions())).Message);
        var last = Write(temp.File("m.jsonl"), "{\"messages\": [{\"role\": \"assistant\", \"content\": \"Hi\"}, {\"role\": \"user\", \"content\": \"Q\"}], \"label\": true}\n");
        Assert.Equal($"{last}:1: field 'messages': the last message must be the assistant's (the completion), found role 'user'",
            Assert.Throws<SimperException>(() => DatasetLoader.LoadUnpaired(last, new DataOptions())).Message);
    }

    [Fact]
    public void UnknownShareGptSpeaker()
    {
        using var temp = new TempFolder();
        var path = Write(temp.File("d.json"), "[{\"conversations\": [{\"from\": \"bot\", \"value\": \"Hi\"}], \"chosen\": {\"from\": \"gpt\", \"value\": \"a\"}, \"rejected\": {\"from\": \"gpt\", \"value\": \"b\"}}]");
        Assert.Equal($"{path}[0]: field 'conversations': message 0: unknown speaker 'bot'; expected one of human, user, gpt, assistant, system, observation, tool, function_call, function",
            Preferences(path));
    }

    [Fact]
    public void FieldMappingProblems()
    {
        using var temp = new TempFolder();
        var path = Lines(temp, "{\"question\": \"Q\", \"response_j\": \" a\"}");
        Assert.Equal($"{path}:1: field 'response_k' is missing (the field mapping reads 'rejected' from it); the row has: question, response_j",
            Preferences(path, new DataOptions { FieldMap = "prompt=question,chosen=response_j,rejected=response_k" }));
        Assert.Equal("field mapping 'prompt:question': 'prompt:question' is not target=source; expected pairs like prompt=question,chosen=response_j,rejected=response_k",
            Assert.Throws<SimperException>(() => FieldMap.Parse("prompt:question")).Message);
        Assert.StartsWith("field mapping 'answer=x': unknown target field 'answer'; expected one of prompt, chosen, rejected,",
            Assert.Throws<SimperException>(() => FieldMap.Parse("answer=x")).Message);
    }

    [Fact]
    public void MalformedJsonArrayStopsTheFile()
    {
        using var temp = new TempFolder();
        var path = Write(temp.File("d.json"), "[\n" + Good + ",\n{\"prompt\": }\n]");
        Assert.Equal($"{path}:3: malformed JSON: '}}' is an invalid start of a value.", Preferences(path, new DataOptions { SkipBadRows = true }));
    }

    [Fact]
    public void FileLevelProblems()
    {
        using var temp = new TempFolder();
        var csv = Write(temp.File("d.csv"), "a,b\n");
        Assert.Equal($"{csv}: unsupported file type; expected .jsonl, .ndjson, .json or .parquet, each optionally .gz", Preferences(csv));
        Assert.Equal($"{temp.File("missing.jsonl")}: no such file or folder", Preferences(temp.File("missing.jsonl")));
        var notParquet = Write(temp.File("d.parquet"), "this is not parquet at all");
        Assert.StartsWith($"{notParquet}: cannot read as Parquet: ", Preferences(notParquet));
        // A deflate block of the reserved type 3.
        var corrupt = WriteBytes(temp.File("t.jsonl.gz"), [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF]);
        Assert.StartsWith($"{corrupt}: cannot read: ", Preferences(corrupt));
    }
}
