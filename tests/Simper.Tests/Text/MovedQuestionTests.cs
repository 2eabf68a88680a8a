using Simper.Templates;
using Simper.Text;

namespace Simper.Tests.Text;

/// <summary>
/// A chat template that renders the prompt alone differently from the same prompt inside the whole conversation can
/// move the last user message into the response. Of the real templates, only Mistral Nemo's does, and only with a
/// system message (it keeps the system message in the last user turn, which stops being last once answered).
/// </summary>
public class MovedQuestionTests
{
    private static readonly ChatMessage System = new("system", "You are terse.");
    private static readonly ChatMessage User = new("user", "Name a prime.");
    private static readonly IReadOnlyList<ChatMessage> Response = [new("assistant", "Seven.")];

    [SkippableTheory]
    [InlineData("Qwen-Qwen2.5-7B-Instruct.jinja", "", "<|im_end|>", false)]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>", false)]
    [InlineData("microsoft-Phi-3.5-mini-instruct.jinja", "<s>", "<|endoftext|>", false)]
    [InlineData("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", false)]
    [InlineData("NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", "<|begin_of_text|>", "<|im_end|>", false)]
    [InlineData("mistralai-Mistral-Nemo-Instruct-2407.jinja", "<s>", "</s>", true)]
    public void Only_a_template_that_moves_the_question_is_flagged(string file, string bos, string eos, bool moves)
    {
        var source = File.ReadAllText(SharedData.Path("data", "chat-templates", file));
        using var folder = new TempFolder();
        var tokenizer = ChatBoundaryTests.TokenizerWithSpecials(folder.Path, source, bos, eos);
        var template = new ChatTemplate(source, bos, eos, new Dictionary<string, object?> { ["tools"] = new List<object?>() });
        var encoder = new PromptResponseEncoder(tokenizer, template);

        var turn = encoder.EncodeChat([System, User], Response);

        Assert.Equal(moves, turn.Moved is not null);
        if (moves)
        {
            Assert.Contains("Name a prime.", tokenizer.Decode(turn.Response));   // what the warning is about
            Assert.DoesNotContain("Name a prime.", turn.Moved!.Conversation[..turn.Moved.Shared]);
            Assert.Contains("You are terse.\n\nName a prime.", turn.Moved.PromptAlone);
        }
        Assert.Null(encoder.EncodeChat([User], Response).Moved);   // without a system message nothing moves
    }
}
