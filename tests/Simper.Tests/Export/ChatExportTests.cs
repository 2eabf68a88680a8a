using System.Text;
using System.Text.Json.Nodes;
using LLama;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;
using LLama.Transformers;
using Simper.Templates;
using Simper.Tokenization;

namespace Simper.Tests.Export;

/// <summary>The chat template travels in the GGUF file: llama.cpp's chat mode formats a conversation as Simper does.</summary>
public class ChatExportTests
{
    [SkippableFact]
    public async Task LlamaCppChatsWithTheExportedTemplateAsSimperRendersIt()
    {
        // llama.cpp's own chat formatting (llama_chat_apply_template, which LLamaSharp uses) recognises the
        // well-known templates, ChatML among them, rather than running Jinja.
        var source = File.ReadAllText(SharedData.Path("data", "chat-templates", "Qwen-Qwen2.5-7B-Instruct.jinja"));
        using var folder = new TempFolder();
        var model = ExportModels.Create(folder.File("model"), null);
        var configPath = Path.Combine(model, "tokenizer_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        config["chat_template"] = source;
        File.WriteAllText(configPath, config.ToJsonString());
        var gguf = folder.File("model.gguf");
        var export = Support.Cli.Run("export", "--model", model, "--output", gguf);
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Equal(1u, GgufFile.Read(gguf).Metadata["general.file_type"]); // f16 by default

        using var _ = new LlamaCpp(gguf); // configures llama.cpp's log once for the test process
        var parameters = new ModelParams(gguf) { ContextSize = 256, GpuLayerCount = 0, Threads = 1 };
        using var weights = LLamaWeights.LoadFromFile(parameters);
        var template = new LLamaTemplate(weights) { AddAssistant = true };
        template.Add("system", "Be brief.");
        template.Add("user", "Hi there");
        var simper = new ChatTemplate(source, ByteLevelTokenizerFiles.EndOfText, ByteLevelTokenizerFiles.EndOfText)
            .Render([new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi there")], addGenerationPrompt: true);
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n", simper);
        Assert.Equal(simper, Encoding.UTF8.GetString(template.Apply()));

        // docs/deploy.md's sample: a chat session formatting turns with the file's template.
        using var context = weights.CreateContext(parameters);
        var session = new ChatSession(new InteractiveExecutor(context))
            .WithHistoryTransform(new PromptTemplateTransformer(weights, withAssistant: true));
        var inference = new InferenceParams { MaxTokens = 8, SamplingPipeline = new GreedySamplingPipeline() };
        var reply = new StringBuilder();
        await foreach (var text in session.ChatAsync(new ChatHistory.Message(AuthorRole.User, "Hi there"), inference))
            reply.Append(text);
        Assert.Equal(2, session.History.Messages.Count);
        Assert.Equal(AuthorRole.Assistant, session.History.Messages[1].AuthorRole);
        Assert.Equal(reply.ToString(), session.History.Messages[1].Content);
    }
}
