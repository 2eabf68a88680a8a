using System.Text.Json;

namespace Simper.Tests.CliCommands;

public class PreviewCommandTests
{
    private static (string Model, string Data, JsonElement Row0) Shared()
    {
        var model = SharedData.Path("data", "stories260K");
        var data = SharedData.Path("data", "preference", "dpo_en_demo.json");
        using var document = JsonDocument.Parse(File.ReadAllText(data));
        return (model, data, document.RootElement[0].Clone());
    }

    private static int[] Ids(JsonElement row, string name) =>
        row.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    [SkippableFact]
    public void JsonShowsExactlyTheTextTheModelSeesWithoutTruncation()
    {
        var (model, data, source) = Shared();
        // stories260K has no chat template, so the conversation is its turns' plain text: the prompt gets the
        // tokenizer's BOS (<s>, decoded with the space SentencePiece's word marker stands for) and each response EOS.
        var human = source.GetProperty("conversations")[0].GetProperty("value").GetString();
        var chosen = source.GetProperty("chosen").GetProperty("value").GetString();
        var rejected = source.GetProperty("rejected").GetProperty("value").GetString();

        var result = Support.Cli.Run("preview", "--model", model, "--data", data, "--rows", "1", "--format", "json",
            "--max-length", "4096", "--max-prompt-length", "2048");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.TrimEnd('\n').Split('\n');
        var row = Assert.Single(lines, l => l.Length > 0);
        var json = JsonDocument.Parse(row).RootElement;
        Assert.Equal("<s> " + human, json.GetProperty("prompt_text").GetString());
        Assert.Equal(chosen + "</s>", json.GetProperty("chosen_text").GetString());
        Assert.Equal(rejected + "</s>", json.GetProperty("rejected_text").GetString());
        Assert.Equal(1, Ids(json, "prompt_input_ids")[0]);
        Assert.Equal(2, Ids(json, "chosen_input_ids")[^1]);
        Assert.Equal(2, Ids(json, "rejected_input_ids")[^1]);
        Assert.Equal(Ids(json, "chosen_input_ids").Length, json.GetProperty("chosen_untruncated_length").GetInt32());
        Assert.False(json.GetProperty("dropped").GetBoolean());
    }

    [SkippableFact]
    public void TruncationCutsTheResponseToWhatMaxLengthLeaves()
    {
        var (model, data, _) = Shared();

        var json = JsonDocument.Parse(Support.Cli.Run("preview", "--model", model, "--data", data, "--rows", "1", "--format", "json",
            "--max-length", "100", "--max-prompt-length", "50").Stdout).RootElement;
        var text = Support.Cli.Run("preview", "--model", model, "--data", data, "--rows", "1", "--max-length", "100", "--max-prompt-length", "50");

        var promptLength = json.GetProperty("prompt_untruncated_length").GetInt32();
        Assert.True(promptLength > 50, $"prompt has {promptLength} tokens");
        // The prompt keeps its last 50 tokens; each response gets the 100 - 50 tokens left.
        Assert.Equal(50, Ids(json, "prompt_input_ids").Length);
        Assert.Equal(50, Ids(json, "chosen_input_ids").Length);
        Assert.Equal(50, Ids(json, "rejected_input_ids").Length);
        Assert.Contains($"--- prompt (50 tokens, cut from {promptLength} keeping the end)", text.Stdout);
        Assert.Contains($"--- chosen (50 tokens, cut from {json.GetProperty("chosen_untruncated_length").GetInt32()} at the end)", text.Stdout);
    }

    [SkippableFact]
    public void KtoShowsEachResponseAsALabelledCompletion()
    {
        var (model, data, source) = Shared();

        var result = Support.Cli.Run("preview", "--model", model, "--data", data, "--rows", "2", "--format", "json", "--method", "kto",
            "--max-length", "4096", "--max-prompt-length", "2048");

        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = result.Stdout.TrimEnd('\n').Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([true, false], rows.Select(r => r.GetProperty("label").GetBoolean()));
        Assert.Equal(source.GetProperty("chosen").GetProperty("value").GetString() + "</s>", rows[0].GetProperty("completion_text").GetString());
        Assert.Equal(source.GetProperty("rejected").GetProperty("value").GetString() + "</s>", rows[1].GetProperty("completion_text").GetString());
    }
}
