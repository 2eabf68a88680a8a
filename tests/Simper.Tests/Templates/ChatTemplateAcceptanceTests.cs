using System.Text.Json;
using Simper.Templates;

namespace Simper.Tests.Templates;

/// <summary>
/// Real Hugging Face chat templates against renders made by the reference Python Jinja2, configured as transformers
/// configures it. The .jinja files are read as they are: those ending in a newline end with a block tag, whose
/// trim_blocks removes that newline anyway (and Jinja drops one trailing newline of the source), so the expected
/// renders are the same with or without it (TheTrailingNewlineOfATemplateFileDoesNotReachTheOutput checks this).
/// </summary>
public class ChatTemplateAcceptanceTests
{
    private static string Folder => SharedData.Path("data", "chat-templates");

    public static IEnumerable<object[]> Cases()
    {
        var path = System.IO.Path.Combine(SharedData.Folder ?? "", "data", "chat-templates", "expected-renders.json");
        if (!File.Exists(path)) return [[-1]];
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return Enumerable.Range(0, doc.RootElement.GetArrayLength()).Select(i => new object[] { i });
    }

    /// <summary>
    /// The reference renders were made without strftime_now, so the Llama 3.2 template fell back to its literal
    /// "26 Jul 2024". Pinning the clock to that day yields the same date through strftime_now("%d %b %Y").
    /// </summary>
    private static readonly TimeProvider ReferenceDay = new FixedClock(new DateTimeOffset(2024, 7, 26, 12, 0, 0, TimeSpan.Zero));

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void RendersExactlyAsTheReference(int index)
    {
        var folder = Folder;
        using var doc = JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(folder, "expected-renders.json")));
        var testCase = doc.RootElement[index];
        var source = File.ReadAllText(System.IO.Path.Combine(folder, testCase.GetProperty("template").GetString()!));
        var template = new ChatTemplate(source, testCase.GetProperty("bos_token").GetString(), testCase.GetProperty("eos_token").GetString())
        {
            Clock = ReferenceDay,
        };
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = TemplateValues.FromJson(testCase.GetProperty("messages")),
            ["add_generation_prompt"] = testCase.GetProperty("add_generation_prompt").GetBoolean(),
        };
        if (testCase.TryGetProperty("expected_error", out var error))
        {
            var thrown = Assert.Throws<TemplateException>(() => template.Render(variables));
            Assert.Equal(error.GetString(), thrown.Message);
        }
        else
        {
            Assert.Equal(testCase.GetProperty("expected").GetString(), template.Render(variables));
            Assert.True(testCase.TryGetProperty("expected", out _));
        }
    }

    [SkippableFact]
    public void TheTrailingNewlineOfATemplateFileDoesNotReachTheOutput()
    {
        var source = File.ReadAllText(System.IO.Path.Combine(Folder, "meta-llama-Llama-3.2-3B-Instruct.jinja"));
        Assert.EndsWith("%}\n", source);
        var messages = new[] { new ChatMessage("user", "Hi") };
        var asRead = new ChatTemplate(source, "<s>", "</s>").Render(messages, addGenerationPrompt: false);
        var withoutNewline = new ChatTemplate(source[..^1], "<s>", "</s>").Render(messages, addGenerationPrompt: false);
        var twoMore = new ChatTemplate(source + "\n\n", "<s>", "</s>").Render(messages, addGenerationPrompt: false);
        Assert.Equal(withoutNewline, asRead);
        Assert.EndsWith("Hi<|eot_id|>", asRead);
        // Of "%}\n\n\n" Jinja drops the final newline, trim_blocks the first; the middle one is text (as Jinja2 renders).
        Assert.Equal(asRead + "\n", twoMore);
    }

    public static IEnumerable<object[]> TemplateFiles() =>
    [
        ["NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja"], ["Qwen-Qwen2.5-7B-Instruct.jinja"],
        ["deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"], ["google-gemma-2-2b-it.jinja"],
        ["meta-llama-Llama-3.1-8B-Instruct.jinja"], ["meta-llama-Llama-3.2-3B-Instruct.jinja"],
        ["microsoft-Phi-3.5-mini-instruct.jinja"], ["mistralai-Mistral-Nemo-Instruct-2407.jinja"],
    ];

    /// <summary>The Hermes tool-use template loops over tools unconditionally, so like transformers it needs a tool list.</summary>
    private static IReadOnlyDictionary<string, object?>? ExtraFor(string file) =>
        file.Contains("tool_use") ? new Dictionary<string, object?> { ["tools"] = new List<object?>() } : null;

    [SkippableTheory]
    [MemberData(nameof(TemplateFiles))]
    public void EveryTemplateRendersOrdinaryConversations(string file)
    {
        var source = File.ReadAllText(System.IO.Path.Combine(Folder, file));
        var template = new ChatTemplate(source, "<BOS>", "<EOS>", ExtraFor(file));
        var supportsSystem = !file.Contains("gemma");
        var full = new List<ChatMessage>();
        if (supportsSystem) full.Add(new ChatMessage("system", "SYSTEM-TEXT"));
        full.Add(new ChatMessage("user", "USER-TEXT"));
        full.Add(new ChatMessage("assistant", "ASSISTANT-TEXT"));
        // Mistral places the system message in the last user turn, so the conversation ends with one.
        full.Add(new ChatMessage("user", "SECOND-USER-TEXT"));

        var conversation = template.Render(full, addGenerationPrompt: false);
        foreach (var message in full) Assert.Contains(message.Content, conversation);
        Assert.True(conversation.IndexOf("USER-TEXT", StringComparison.Ordinal) < conversation.IndexOf("ASSISTANT-TEXT", StringComparison.Ordinal));

        var prompt = template.Render([new ChatMessage("user", "ONLY-USER")], addGenerationPrompt: true);
        Assert.Contains("ONLY-USER", prompt);
        var noPrompt = template.Render([new ChatMessage("user", "ONLY-USER")], addGenerationPrompt: false);
        if (!file.Contains("Mistral")) Assert.True(prompt.Length > noPrompt.Length, "add_generation_prompt adds the assistant header");
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }
}
