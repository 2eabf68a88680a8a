using Simper.Checkpoints;
using Simper.Templates;
using Simper.Tokenization;

namespace Simper.Text;

/// <summary>
/// Token ids of a prompt and of the response that follows it; the model sees them concatenated. <see cref="Moved"/>
/// is set when the chat template moved the last user message out of the prompt and into the response.
/// </summary>
public sealed record EncodedTurn(int[] Prompt, int[] Response, MovedQuestion? Moved = null);

/// <summary>
/// A conversation whose prompt the chat template renders differently alone (<see cref="PromptAlone"/>) than inside the
/// whole conversation (<see cref="Conversation"/>), such that the two share only <see cref="Shared"/> characters and
/// the last user message falls after them, in the response.
/// </summary>
public sealed record MovedQuestion(string PromptAlone, string Conversation, int Shared);

/// <summary>
/// Turns a prompt and a response, as plain text or as chat messages, into token ids the way the model's own files
/// say: the chat template renders the text, the tokenizer splits it, and nothing is added twice.
/// </summary>
/// <remarks>
/// For a conversation, the prompt is the conversation rendered up to the assistant turn with the generation prompt,
/// and the response is the rest of the whole rendered conversation. The whole text is tokenized once and split
/// where the prompt's own tokens stop matching, so prompt + response is exactly the tokenization of the whole
/// conversation even when a token would straddle the boundary. Rendered text already holds the special tokens the
/// template writes (BOS, end-of-turn, EOS), so it is encoded without adding any. Plain text gets the tokenizer's
/// BOS on the prompt (when it adds one) and EOS after the response, so the model learns to stop.
/// </remarks>
public sealed class PromptResponseEncoder(ModelTokenizer tokenizer, ChatTemplate? template)
{
    public ModelTokenizer Tokenizer { get; } = tokenizer;
    public ChatTemplate? Template { get; } = template;
    /// <summary>Keyword arguments every rendering of the chat template reads (Qwen3's enable_thinking); none by default.</summary>
    public IReadOnlyDictionary<string, object?>? TemplateArguments { get; init; }

    public EncodedTurn EncodeText(string prompt, string response)
    {
        var promptIds = EncodePrompt(prompt);
        var responseIds = Tokenizer.Encode(response, addSpecialTokens: false).ToList();
        if (Tokenizer.EosTokenId is int eos && (responseIds.Count == 0 || responseIds[^1] != eos)) responseIds.Add(eos);
        return new EncodedTurn(promptIds, [.. responseIds]);
    }

    /// <summary>A plain-text prompt with the tokenizer's BOS in front when it adds one (never twice).</summary>
    public int[] EncodePrompt(string prompt)
    {
        var ids = Tokenizer.Encode(prompt, addSpecialTokens: false);
        return Tokenizer.AddBosToken && Tokenizer.BosTokenId is int bos && (ids.Count == 0 || ids[0] != bos)
            ? [bos, .. ids]
            : [.. ids];
    }

    public EncodedTurn EncodeChat(IReadOnlyList<ChatMessage> prompt, IReadOnlyList<ChatMessage> response)
    {
        if (Template is null)
            return EncodeText(PlainConversation(prompt), string.Concat(response.Select(m => m.Content)));
        // Some templates render the prompt differently alone than inside the whole conversation (DeepSeek-R1 opens
        // a <think> block in its generation prompt; Mistral moves the system message to the last user turn). As TRL
        // does, the prompt is then the longest common prefix of the two renderings.
        var promptAlone = Template.Render(prompt, addGenerationPrompt: true, TemplateArguments);
        var wholeText = Template.Render([.. prompt, .. response], addGenerationPrompt: false, TemplateArguments);
        int common = 0;
        while (common < promptAlone.Length && common < wholeText.Length && promptAlone[common] == wholeText[common]) common++;
        var promptText = promptAlone[..common];
        var whole = Tokenizer.Encode(wholeText, addSpecialTokens: false);
        var promptIds = Tokenizer.Encode(promptText, addSpecialTokens: false);
        int split = 0;
        while (split < promptIds.Count && split < whole.Count && promptIds[split] == whole[split]) split++;
        return new EncodedTurn([.. whole.Take(split)], [.. whole.Skip(split)],
            QuestionLeftPrompt(prompt, promptAlone, wholeText, common));
    }

    /// <summary>
    /// Whether the shared prefix ends before the last user message: then the question is trained on as response,
    /// which mean log-prob methods (SimPER, SimPO) average over. A template that merely opens the assistant turn
    /// differently (DeepSeek-R1's "&lt;think&gt;") keeps the question in the prompt and is not flagged.
    /// </summary>
    private static MovedQuestion? QuestionLeftPrompt(IReadOnlyList<ChatMessage> prompt, string promptAlone, string wholeText, int common)
    {
        if (common == promptAlone.Length) return null;
        var question = prompt.LastOrDefault(m => m.Role == "user")?.Content.Trim();
        if (string.IsNullOrEmpty(question)) return null;
        int Count(string text) => (text.Length - text.Replace(question, "", StringComparison.Ordinal).Length) / question.Length;
        return Count(wholeText[..common]) < Count(promptAlone) ? new MovedQuestion(promptAlone, wholeText, common) : null;
    }

    /// <summary>A conversation to answer: the chat template with its generation prompt, or plain text.</summary>
    public int[] EncodePrompt(IReadOnlyList<ChatMessage> prompt) =>
        Template is null ? EncodePrompt(PlainConversation(prompt))
                         : [.. Tokenizer.Encode(Template.Render(prompt, addGenerationPrompt: true, TemplateArguments), addSpecialTokens: false)];

    // A model without a chat template sees the turns as plain text, one after another.
    private static string PlainConversation(IReadOnlyList<ChatMessage> messages) =>
        string.Concat(messages.Select(m => m.Content));
}

/// <summary>The prompt/response encoder of a model folder.</summary>
public static class ModelText
{
    /// <summary>The folder's tokenizer with its chat template; a one-line error when it has no tokenizer.</summary>
    public static PromptResponseEncoder Encoder(this ModelFolder folder) => new(folder.RequireTokenizer(), folder.Template);

    /// <summary>The folder's encoder, or null when it has no tokenizer files.</summary>
    public static PromptResponseEncoder? TryEncoder(this ModelFolder folder) =>
        folder.Tokenizer is { } tokenizer ? new PromptResponseEncoder(tokenizer, folder.Template) : null;

    /// <summary>Opens <paramref name="modelDir"/> for its tokenizer and chat template alone.</summary>
    public static PromptResponseEncoder Load(string modelDir) => ModelFolder.Open(modelDir).Encoder();
}
