namespace Simper.Templates;

/// <summary>
/// One conversation turn. Templates see it as the dictionary {"role", "content"} plus <see cref="Extra"/> fields
/// (tool_calls, name, tool_call_id, reasoning_content...), which may also replace "content" (e.g. with null).
/// </summary>
public sealed record ChatMessage(string Role, string Content)
{
    /// <summary>Further message fields, as Hugging Face message dictionaries carry them.</summary>
    public IReadOnlyDictionary<string, object?>? Extra { get; init; }

    internal Dictionary<string, object?> ToDictionary()
    {
        var dict = new Dictionary<string, object?> { ["role"] = Role, ["content"] = Content };
        if (Extra != null) foreach (var (key, value) in Extra) dict[key] = value;
        return dict;
    }
}
