namespace Simper.Data;

/// <summary>How a <see cref="ChatSegment"/> holds its content.</summary>
public enum SegmentKind
{
    /// <summary>Plain text (TRL's "standard" format), used as is.</summary>
    Text,
    /// <summary>A list of chat messages (TRL's "conversational" format), rendered later through a chat template.</summary>
    Messages,
    /// <summary>Token ids already produced by the model's tokenizer (TRL's pre-tokenized columns), used as is.</summary>
    TokenIds,
}

/// <summary>
/// A prompt or a response in one of the three forms TRL accepts: text, chat messages or token ids. Exactly one of
/// <see cref="Text"/>, <see cref="Messages"/> and <see cref="TokenIds"/> is set, as <see cref="Kind"/> says.
/// Tokenization and chat templates are applied later; this layer only carries the content.
/// </summary>
public abstract record ChatSegment
{
    private protected ChatSegment(SegmentKind kind, string? text, IReadOnlyList<Message>? messages, int[]? tokenIds)
    {
        Kind = kind;
        Text = text;
        Messages = messages;
        TokenIds = tokenIds;
    }

    public SegmentKind Kind { get; }
    public string? Text { get; }
    public IReadOnlyList<Message>? Messages { get; }
    public int[]? TokenIds { get; }

    public override string ToString() => Kind switch
    {
        SegmentKind.Text => Text!,
        SegmentKind.Messages => string.Join("\n", Messages!.Select(m => $"{m.Role}: {m.Content}")),
        _ => "[" + string.Join(", ", TokenIds!) + "]",
    };
}

/// <summary>
/// The prompt of an example. As messages, TRL renders it with the generation prompt when the last message is the
/// user's, or continues the last message when it is the assistant's.
/// </summary>
public sealed record Prompt : ChatSegment
{
    private Prompt(SegmentKind kind, string? text, IReadOnlyList<Message>? messages, int[]? tokenIds)
        : base(kind, text, messages, tokenIds) { }

    public static Prompt FromText(string text) => new(SegmentKind.Text, text, null, null);
    public static Prompt FromMessages(IReadOnlyList<Message> messages) => new(SegmentKind.Messages, null, messages, null);
    public static Prompt FromTokenIds(int[] ids) => new(SegmentKind.TokenIds, null, null, ids);
}

/// <summary>
/// A response that follows the prompt (TRL's <c>chosen</c>, <c>rejected</c> or <c>completion</c>). As messages it
/// is usually one assistant message; an SFT example without a prompt holds the whole conversation here.
/// </summary>
public sealed record Completion : ChatSegment
{
    private Completion(SegmentKind kind, string? text, IReadOnlyList<Message>? messages, int[]? tokenIds)
        : base(kind, text, messages, tokenIds) { }

    public static Completion FromText(string text) => new(SegmentKind.Text, text, null, null);
    public static Completion FromMessages(IReadOnlyList<Message> messages) => new(SegmentKind.Messages, null, messages, null);
    public static Completion FromTokenIds(int[] ids) => new(SegmentKind.TokenIds, null, null, ids);
}
