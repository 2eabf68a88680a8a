namespace Simper.Templates;

/// <summary>
/// A Hugging Face chat template (tokenizer_config.json's <c>chat_template</c>) rendered as transformers renders it:
/// trim_blocks, lstrip_blocks, loop controls, the <c>raise_exception</c> and <c>strftime_now</c> globals, and the
/// variables messages, add_generation_prompt, tools and documents (None unless given), the special tokens and any
/// extra variables.
/// </summary>
public sealed class ChatTemplate
{
    private readonly JinjaTemplate _template;
    private readonly Dictionary<string, object?> _baseVariables = new();

    /// <param name="source">The template text.</param>
    /// <param name="bosToken">bos_token; when null the variable is left undefined, as transformers does for unset tokens.</param>
    /// <param name="eosToken">eos_token; likewise.</param>
    /// <param name="extraVariables">Further variables (pad_token, unk_token, date_string, ...), overridable per render.</param>
    /// <exception cref="TemplateException">The template has a syntax error (the message names the line).</exception>
    public ChatTemplate(string source, string? bosToken, string? eosToken, IReadOnlyDictionary<string, object?>? extraVariables = null)
    {
        _template = JinjaTemplate.Parse(source, new JinjaOptions { Name = "chat template" });
        _baseVariables["tools"] = null;
        _baseVariables["documents"] = null;
        _baseVariables["add_generation_prompt"] = false;
        if (bosToken != null) _baseVariables["bos_token"] = bosToken;
        if (eosToken != null) _baseVariables["eos_token"] = eosToken;
        if (extraVariables != null) foreach (var (key, value) in extraVariables) _baseVariables[key] = value;
    }

    /// <summary>The clock behind <c>strftime_now</c> (local time, as in transformers).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <param name="messages">the conversation</param>
    /// <param name="addGenerationPrompt">whether to open the assistant's turn</param>
    /// <param name="arguments">
    /// keyword arguments the template reads, as transformers' apply_chat_template passes its extra kwargs (Qwen3's
    /// enable_thinking); they cannot replace messages or add_generation_prompt
    /// </param>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? arguments = null)
    {
        var variables = new Dictionary<string, object?>(arguments ?? new Dictionary<string, object?>())
        {
            ["messages"] = messages.Select(m => (object?)m.ToDictionary()).ToList(),
            ["add_generation_prompt"] = addGenerationPrompt,
        };
        return Render(variables);
    }

    /// <summary>Renders with full control of the variables (e.g. messages as dictionaries with tool calls, tools).</summary>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        var all = new Dictionary<string, object?>(_baseVariables);
        foreach (var (key, value) in variables) all[key] = value;
        return _template.Render(all, Globals.HuggingFace(Clock));
    }
}
