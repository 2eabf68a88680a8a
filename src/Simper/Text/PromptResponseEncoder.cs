using Simper.Checkpoints;
using Simper.Models;
using Simper.Templates;
using Simper.Tokenization;

namespace Simper.Text;

/// <summary>Token ids of a prompt and of the response that follows it; the model sees them concatenated.</summary>
public sealed record EncodedTurn(int[] Prompt, int[] Response);

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
        var promptText = Template.Render(prompt, addGenerationPrompt: true, TemplateArguments);
        var wholeText = Template.Render([.. prompt, .. response], addGenerationPrompt: false, TemplateArguments);
        int common = 0;
        while (common < promptText.Length && common < wholeText.Length && promptText[common] == wholeText[common]) common++;
        promptText = promptText[..common];
        var whole = Tokenizer.Encode(wholeText, addSpecialTokens: false);
        var promptIds = Tokenizer.Encode(promptText, addSpecialTokens: false);
        int split = 0;
        while (split < promptIds.Count && split < whole.Count && promptIds[split] == whole[split]) split++;
        return new EncodedTurn([.. whole.Take(split)], [.. whole.Skip(split)]);
    }

    /// <summary>A conversation to answer: the chat template with its generation prompt, or plain text.</summary>
    public int[] EncodePrompt(IReadOnlyList<ChatMessage> prompt) =>
        Template is null ? EncodePrompt(PlainConversation(prompt))
                         : [.. Tokenizer.Encode(Template.Render(prompt, addGenerationPrompt: true, TemplateArguments), addSpecialTokens: false)];

    // A model without a chat template sees the turns as plain text, one after another.
    private static string PlainConversation(IReadOnlyList<ChatMessage> messages) =>
        string.Concat(messages.Select(m => m.Content));
}

/// <summary>Reads the tokenizer and chat template that a model folder carries.</summary>
public static class ModelText
{
    private static readonly string[] TokenizerFiles = ["tokenizer.json", "vocab.json", "tokenizer.model"];

    /// <summary>True when the folder has tokenizer files (a model used only with pre-tokenized data may have none).</summary>
    public static bool HasTokenizer(string modelDir) => TokenizerFiles.Any(f => File.Exists(Path.Combine(modelDir, f)));

    /// <summary>The folder's tokenizer with its chat template (none when tokenizer_config.json has no chat_template).</summary>
    public static PromptResponseEncoder Load(string modelDir)
    {
        var tokenizer = ModelTokenizer.FromFolder(modelDir);
        CheckFitsModel(tokenizer, modelDir);
        var template = tokenizer.ChatTemplate is { } source ? new ChatTemplate(source, tokenizer.BosToken, tokenizer.EosToken) : null;
        return new PromptResponseEncoder(tokenizer, template);
    }

    /// <summary>
    /// A token id at or beyond the model's vocab_size would index past its embedding matrix mid-run, so a tokenizer
    /// that can produce one is refused when the folder is read.
    /// </summary>
    private static void CheckFitsModel(ModelTokenizer tokenizer, string modelDir)
    {
        var configPath = Path.Combine(modelDir, PretrainedModel.ConfigFile);
        if (!File.Exists(configPath)) return;
        int modelVocab = ModelConfig.Load(configPath).VocabSize;
        int tokenizerVocab = Math.Max(tokenizer.VocabSize, tokenizer.AddedTokens.Keys.DefaultIfEmpty(-1).Max() + 1);
        if (tokenizerVocab > modelVocab)
            throw new SimperException(
                $"{modelDir}: the tokenizer has {tokenizerVocab} token ids but config.json vocab_size is {modelVocab}; expected a tokenizer vocabulary of at most vocab_size");
    }

    /// <summary>The folder's encoder, or null when it has no tokenizer files.</summary>
    public static PromptResponseEncoder? TryLoad(string modelDir) => HasTokenizer(modelDir) ? Load(modelDir) : null;
}
