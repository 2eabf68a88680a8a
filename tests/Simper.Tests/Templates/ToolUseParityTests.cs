using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Simper.Templates;

namespace Simper.Tests.Templates;

/// <summary>
/// Tool-use conversations (a tool schema, an assistant tool call with dict arguments, a tool result, non-ASCII
/// text) through the real templates that support tools. Expected: the length and SHA-256 of what Python Jinja2 3.1
/// renders for the same variables with transformers' settings (hashes, so the templates' text is not repeated here).
/// </summary>
public class ToolUseParityTests
{
    private const string VariablesJson = "{\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the weather.  \", \"parameters\": {\"type\": \"object\", \"properties\": {\"location\": {\"type\": \"string\", \"description\": \"City name\"}, \"unit\": {\"type\": [\"string\", \"integer\"], \"description\": \"c or f\"}, \"days\": {\"type\": \"array\", \"items\": {\"type\": \"integer\"}, \"description\": \"Days ahead\"}, \"opts\": {\"type\": \"object\", \"additionalProperties\": {\"type\": \"number\"}, \"description\": \"Extra\"}}, \"required\": [\"location\"]}, \"return\": {\"type\": \"string\", \"description\": \"A forecast\"}}}], \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Weather in Paris?\"}, {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"abc123def\", \"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\", \"unit\": \"c\"}}}]}, {\"role\": \"tool\", \"tool_call_id\": \"abc123def\", \"content\": \"22 °C, sunny\"}, {\"role\": \"assistant\", \"content\": \"It is 22 °C.\"}, {\"role\": \"user\", \"content\": \"Thanks\"}], \"add_generation_prompt\": true, \"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"documents\": null}";

    [SkippableTheory]
    [InlineData("NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", 1959, "3a019fa76d7ab9bc982a1165478ddc4b3f05168800c067c05282ce80010a25b9")]
    [InlineData("Qwen-Qwen2.5-7B-Instruct.jinja", 1299, "71d22e8535c865ebffa9a4e1a59ccfeb4f6856f4eded04548550bd39b8c4eac3")]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct.jinja", 2068, "1ed23a626d4edf3846069e83b86c3ace6b788968f9f3db53d40f45aaa0590921")]
    [InlineData("mistralai-Mistral-Nemo-Instruct-2407.jinja", 781, "4e59aa3d1a38e11e2043b604815915e808149df63faf248bf5117e5f32755286")]
    public void ToolConversationsRenderAsTheReference(string file, int length, string sha256)
    {
        var source = File.ReadAllText(SharedData.Path("data", "chat-templates", file));
        var variables = (IReadOnlyDictionary<string, object?>)TemplateValues.FromJson(JsonDocument.Parse(VariablesJson).RootElement)!;
        var rendered = new ChatTemplate(source, null, null).Render(variables);
        Assert.Contains("22 °C, sunny", rendered);
        Assert.Equal(length, rendered.Length);
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(rendered))));
    }

    [SkippableFact]
    public void HermesWithoutToolsFailsAsInTransformers()
    {
        var source = File.ReadAllText(SharedData.Path("data", "chat-templates", "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja"));
        var error = Assert.Throws<TemplateException>(() => new ChatTemplate(source, "<s>", "</s>").Render([new ChatMessage("user", "hi")], true));
        Assert.Equal("chat template line 38: 'NoneType' object is not iterable", error.Message);
    }

    /// <summary>A "null" member of a union type makes this template recurse without end (Python hits its recursion limit).</summary>
    [SkippableFact]
    public void EndlessMacroRecursionInARealTemplateStopsAtTheLimit()
    {
        var source = File.ReadAllText(SharedData.Path("data", "chat-templates", "NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja"));
        var variables = (Dictionary<string, object?>)TemplateValues.FromJson(JsonDocument.Parse(VariablesJson.Replace("\"integer\"]", "\"null\"]")).RootElement)!;
        var error = Assert.Throws<TemplateException>(() => new ChatTemplate(source, null, null).Render(variables));
        Assert.EndsWith("macro calls nested deeper than 100 levels", error.Message);
    }
}
