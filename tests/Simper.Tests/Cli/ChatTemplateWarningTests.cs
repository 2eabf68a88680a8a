using System.Text.Json.Nodes;
using Simper.Tests.Reliability;

namespace Simper.Tests.CliCommands;

/// <summary>
/// `preview` and `train` warn once, with the number of rows and an example, when the model's chat template moves the
/// last user message out of the prompt (as Mistral Nemo's does with a system message).
/// </summary>
public class ChatTemplateWarningTests
{
    // Like Mistral Nemo's: the system message goes into the user turn only when that turn is the last message.
    private const string NemoLike =
        "{%- if messages[0]['role'] == 'system' %}{%- set system_message = messages[0]['content'] %}" +
        "{%- set loop_messages = messages[1:] %}{%- else %}{%- set loop_messages = messages %}{%- endif %}" +
        "{{- bos_token }}{%- for m in loop_messages %}{%- if m['role'] == 'user' %}" +
        "{%- if loop.last and system_message is defined %}[INST]{{ system_message }}\n\n{{ m['content'] }}[/INST]" +
        "{%- else %}[INST]{{ m['content'] }}[/INST]{%- endif %}{%- else %}{{ m['content'] }}{{ eos_token }}{%- endif %}{%- endfor %}";

    private static string Model(TempFolder folder, string? template)
    {
        var model = RunFixtures.TinyModel(Path.Combine(folder.Path, "model"));
        if (template != null) RunFixtures.EditJson(Path.Combine(model, "tokenizer_config.json"), c => c["chat_template"] = template);
        return model;
    }

    /// <summary>Three rows with a system message, one without.</summary>
    private static string Data(TempFolder folder)
    {
        static string Row(int i, bool system) =>
            new JsonObject
            {
                ["prompt"] = new JsonArray([
                    .. system ? [new JsonObject { ["role"] = "system", ["content"] = "Be terse." }] : Array.Empty<JsonNode>(),
                    new JsonObject { ["role"] = "user", ["content"] = $"Question {i}?" }]),
                ["chosen"] = new JsonArray(new JsonObject { ["role"] = "assistant", ["content"] = $"Yes {i}." }),
                ["rejected"] = new JsonArray(new JsonObject { ["role"] = "assistant", ["content"] = $"No {i}." }),
            }.ToJsonString();
        var path = folder.File("pairs.jsonl");
        File.WriteAllLines(path, [Row(1, true), Row(2, false), Row(3, true), Row(4, true)]);
        return path;
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;

    [Fact]
    public void Preview_and_train_warn_once_with_the_count_and_an_example()
    {
        using var folder = new TempFolder();
        var (model, data) = (Model(folder, NemoLike), Data(folder));

        var preview = Support.Cli.Run("preview", "--model", model, "--data", data, "--rows", "4", "--format", "json");
        Assert.True(preview.ExitCode == 0, preview.ToString());
        Assert.Equal(1, Count(preview.Stderr, "warning: "));
        Assert.Contains("in 3 of 4 rows the chat template", preview.Stderr);
        Assert.Contains(@"the prompt alone renders ""<|endoftext|>[INST]Be terse.\n\nQuestion 1?[/INST]""", preview.Stderr);
        Assert.DoesNotContain("warning", preview.Stdout);

        var train = Support.Cli.Run(RunFixtures.Train(model, data, Path.Combine(folder.Path, "run")));
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Equal(1, Count(train.Stderr, "warning: in 3 of 4 rows the chat template"));
    }

    [Fact]
    public void A_template_that_keeps_the_question_in_the_prompt_gives_no_warning()
    {
        using var folder = new TempFolder();
        var (model, data) = (Model(folder, template: null), Data(folder));

        var preview = Support.Cli.Run("preview", "--model", model, "--data", data, "--rows", "4");
        Assert.True(preview.ExitCode == 0, preview.ToString());
        Assert.DoesNotContain("warning", preview.Stderr);
    }

    [SkippableFact]
    public void The_real_Mistral_Nemo_template_with_a_system_message_is_warned_about()
    {
        using var folder = new TempFolder();
        var model = Model(folder, File.ReadAllText(SharedData.Path("data", "chat-templates", "mistralai-Mistral-Nemo-Instruct-2407.jinja")));

        var preview = Support.Cli.Run("preview", "--model", model, "--data", Data(folder), "--rows", "4");
        Assert.True(preview.ExitCode == 0, preview.ToString());
        Assert.Equal(1, Count(preview.Stderr, "warning: in 3 of 4 rows the chat template"));
    }
}
