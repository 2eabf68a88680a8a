using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Simper.Templates;
using Simper.Text;
using Simper.Tokenization;

namespace Simper.Tests.Text;

/// <summary>
/// For every real chat template: the prompt (conversation up to the assistant turn, with the generation prompt) and
/// the response tokenize to exactly the tokens of the whole rendered conversation, with one BOS at most and the
/// template's own end-of-turn marker closing the response.
/// </summary>
public class ChatBoundaryTests
{
    // (template, bos, eos, end of the response as the template writes it, whether it takes a system message)
    public static TheoryData<string, string, string, string, bool> Templates => new()
    {
        { "Qwen-Qwen2.5-7B-Instruct.jinja", "", "<|im_end|>", "<|im_end|>\n", true },
        { "meta-llama-Llama-3.1-8B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>", "<|eot_id|>", true },
        { "meta-llama-Llama-3.2-3B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>", "<|eot_id|>", true },
        // Gemma's template raises on a system message.
        { "google-gemma-2-2b-it.jinja", "<bos>", "<eos>", "<end_of_turn>\n", false },
        // Mistral puts the system message inside the last user turn, which moves once the assistant has answered.
        { "mistralai-Mistral-Nemo-Instruct-2407.jinja", "<s>", "</s>", "</s>", false },
        // Phi closes a conversation without a generation prompt with the EOS token.
        { "microsoft-Phi-3.5-mini-instruct.jinja", "<s>", "<|endoftext|>", "<|end|>\n<|endoftext|>", true },
        { "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜end▁of▁sentence｜>", true },
        { "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", "<|begin_of_text|>", "<|im_end|>", "<|im_end|>\n", true },
    };

    private static readonly ChatMessage System = new("system", "You are terse.");
    private static readonly ChatMessage User = new("user", "Name a prime.");
    private static readonly IReadOnlyList<ChatMessage> Response = [new("assistant", "Seven.")];

    [SkippableTheory]
    [MemberData(nameof(Templates))]
    public void PromptPlusResponseIsTheWholeConversation(string file, string bos, string eos, string turnEnd, bool system)
    {
        IReadOnlyList<ChatMessage> Prompt = system ? [System, User] : [User];
        var source = File.ReadAllText(SharedData.Path("data", "chat-templates", file));
        using var folder = new TempFolder();
        var tokenizer = TokenizerWithSpecials(folder.Path, source, bos, eos);
        var template = new ChatTemplate(source, bos, eos, new Dictionary<string, object?> { ["tools"] = new List<object?>() });
        var encoder = new PromptResponseEncoder(tokenizer, template);

        var turn = encoder.EncodeChat(Prompt, Response);

        var whole = template.Render([.. Prompt, .. Response], addGenerationPrompt: false);
        Assert.Equal(tokenizer.Encode(whole, addSpecialTokens: false), [.. turn.Prompt, .. turn.Response]);
        var all = turn.Prompt.Concat(turn.Response).ToList();
        if (bos.Length > 0)
        {
            var bosId = tokenizer.TokenToId(bos)!.Value;
            Assert.True(all.Count(id => id == bosId) <= 1, $"{file}: BOS appears more than once");
            if (source.Contains("bos_token")) Assert.Equal(bosId, all[0]);
        }
        var responseText = tokenizer.Decode(turn.Response);
        Assert.Contains("Seven.", responseText);
        Assert.EndsWith(turnEnd, responseText);
        // The prompt is the conversation with its generation prompt, up to where the whole rendering departs from it.
        var promptText = template.Render(Prompt, addGenerationPrompt: true);
        Assert.Equal(promptText[..tokenizer.Decode(turn.Prompt).Length], tokenizer.Decode(turn.Prompt));
        Assert.StartsWith(tokenizer.Decode(turn.Prompt), whole);
        if (!file.StartsWith("deepseek")) Assert.Equal(promptText, tokenizer.Decode(turn.Prompt));
    }

    [SkippableFact]
    public void ALlamaTwoTokenizerWithABosTemplateGetsOneBos()
    {
        var model = SharedData.Path("data", "tokenizers", "llama2");
        var tokenizer = ModelTokenizer.FromFolder(model);
        Assert.True(tokenizer.AddBosToken);
        var source = File.ReadAllText(SharedData.Path("data", "chat-templates", "mistralai-Mistral-Nemo-Instruct-2407.jinja"));
        var encoder = new PromptResponseEncoder(tokenizer, new ChatTemplate(source, "<s>", "</s>"));

        var turn = encoder.EncodeChat([new("user", "Hi")], [new("assistant", "Hello")]);

        Assert.Equal(1, turn.Prompt[0]);
        Assert.Single(turn.Prompt.Concat(turn.Response), id => id == 1);
        Assert.Equal(2, turn.Response[^1]); // the template's </s> ends the response
    }

    [SkippableFact]
    public void PlainTextGetsBosOnThePromptAndEosAfterTheResponse()
    {
        var tokenizer = ModelTokenizer.FromFolder(SharedData.Path("data", "tokenizers", "llama2"));
        var turn = new PromptResponseEncoder(tokenizer, null).EncodeText("Hi", " there");
        Assert.Equal([1, .. tokenizer.Encode("Hi", addSpecialTokens: false)], turn.Prompt);
        Assert.Equal([.. tokenizer.Encode(" there", addSpecialTokens: false), 2], turn.Response);
    }

    // A byte-level tokenizer that knows the template's special tokens (every <...> or <|...|> marker it writes).
    internal static ModelTokenizer TokenizerWithSpecials(string dir, string template, string bos, string eos)
    {
        ByteLevelTokenizerFiles.Write(dir);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer.json")))!.AsObject();
        var added = json["added_tokens"]!.AsArray();
        var known = added.Select(t => t!["content"]!.GetValue<string>()).ToHashSet();
        int next = added.Max(t => t!["id"]!.GetValue<int>()) + 1;
        var markers = Regex.Matches(template, @"<[|｜][^<>\s'""]{1,40}?[|｜]>|</?(?:s|bos|eos|start_of_turn|end_of_turn)>|\[/?(?:INST|AVAILABLE_TOOLS|TOOL_CALLS|TOOL_RESULTS)\]")
            .Select(m => m.Value).Append(bos).Append(eos).Where(t => t.Length > 0).Distinct();
        foreach (var marker in markers.Where(known.Add))
            added.Add(new JsonObject
            {
                ["id"] = next++, ["content"] = marker, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        json["post_processor"] = null;
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString());
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "tokenizer_config.json")))!.AsObject();
        config["bos_token"] = bos.Length > 0 ? bos : null;
        config["eos_token"] = eos;
        config["add_bos_token"] = false;
        config.Remove("added_tokens_decoder");
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), config.ToJsonString());
        return ModelTokenizer.FromFolder(dir);
    }
}
