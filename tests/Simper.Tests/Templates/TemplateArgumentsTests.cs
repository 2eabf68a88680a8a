using Simper.Templates;
using Simper.Text;
using Simper.Tokenization;

namespace Simper.Tests.Templates;

public class TemplateArgumentsTests
{
    /// <summary>The generation prompt of Qwen3's chat template, which reads enable_thinking as apply_chat_template passes it.</summary>
    private const string Qwen3Tail = """
        {%- for message in messages %}{{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' }}{%- endfor %}
        {%- if add_generation_prompt %}
            {{- '<|im_start|>assistant\n' }}
            {%- if enable_thinking is defined and enable_thinking is false %}
                {{- '<think>\n\n</think>\n\n' }}
            {%- endif %}
        {%- endif %}
        """;

    private static readonly ChatMessage[] Question = [new("user", "2+2?")];

    [Fact]
    public void EnableThinkingReachesTheTemplate()
    {
        var template = new ChatTemplate(Qwen3Tail, null, "<|im_end|>");
        Assert.Equal("<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n", template.Render(Question, addGenerationPrompt: true));
        Assert.Equal("<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
            template.Render(Question, addGenerationPrompt: true, new Dictionary<string, object?> { ["enable_thinking"] = false }));
        // The arguments never replace the conversation or the generation prompt flag.
        Assert.Equal("<|im_start|>user\n2+2?<|im_end|>\n", template.Render(Question, addGenerationPrompt: false,
            new Dictionary<string, object?> { ["add_generation_prompt"] = true, ["enable_thinking"] = false }));
    }

    [Fact]
    public void TheEncoderPassesItsTemplateArgumentsToEveryRendering()
    {
        using var temp = new TempFolder();
        ByteLevelTokenizerFiles.Write(temp.File("tok"), 512);
        var tokenizer = ModelTokenizer.FromFolder(temp.File("tok"));
        var template = new ChatTemplate(Qwen3Tail, null, "<|im_end|>");
        var thinking = new PromptResponseEncoder(tokenizer, template);
        var direct = new PromptResponseEncoder(tokenizer, template) { TemplateArguments = new Dictionary<string, object?> { ["enable_thinking"] = false } };
        var emptyThought = tokenizer.Encode("<think>\n\n</think>\n\n", addSpecialTokens: false);
        Assert.Equal([.. thinking.EncodePrompt(Question), .. emptyThought], direct.EncodePrompt(Question));
    }
}
