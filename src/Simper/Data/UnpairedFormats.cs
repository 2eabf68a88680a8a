using System.Text.Json.Nodes;

namespace Simper.Data;

/// <summary>The unpaired (KTO) formats, detected from a row's fields in this order; preference pairs are unpaired.</summary>
internal static class UnpairedFormats
{
    public static readonly FormatSpec Tokenized = new("pre-tokenized unpaired", ["prompt_input_ids", "completion_input_ids", "label"]);
    public static readonly FormatSpec Trl = new("TRL unpaired", ["prompt", "completion", "label"]);
    public static readonly FormatSpec MessagesLabel = new("KTO messages", ["messages", "label"]);
    public static readonly FormatSpec ShareGptLabel = new("ShareGPT KTO", ["conversations", "label"]);

    public static readonly FormatSpec[] All = [Tokenized, Trl, MessagesLabel, ShareGptLabel];

    public static Func<JsonObject, RowSource, IEnumerable<UnpairedExample>> Converter(FormatSpec format)
    {
        if (PreferenceFormats.All.Contains(format))
        {
            var pair = PreferenceFormats.Converter(format);
            return (row, source) =>
            {
                var (desirable, undesirable) = pair(row, source).Unpair();
                return [desirable, undesirable];
            };
        }
        var kinds = new KindCheck();
        return (row, source) =>
        {
            var (prompt, completion) = Read(row, format, kinds);
            return [new UnpairedExample(prompt, completion, RowFields.Label(RowFields.Required(row, "label", format), "label"), source)];
        };
    }

    private static (Prompt, Completion) Read(JsonObject row, FormatSpec format, KindCheck kinds)
    {
        if (format == Tokenized)
            return (Prompt.FromTokenIds(RowFields.TokenIds(RowFields.Required(row, "prompt_input_ids", format), "prompt_input_ids")),
                Completion.FromTokenIds(RowFields.TokenIds(RowFields.Required(row, "completion_input_ids", format), "completion_input_ids")));
        if (format == Trl)
            return (kinds.Check(RowFields.Prompt(RowFields.Required(row, "prompt", format), "prompt"), "prompt"),
                kinds.Check(RowFields.Completion(RowFields.Required(row, "completion", format), "completion"), "completion"));
        if (format == MessagesLabel)
        {
            var node = RowFields.Required(row, "messages", format);
            if (node is not JsonArray list)
                throw new RowProblem($"field 'messages': expected a list of messages, found {JsonKinds.Describe(node)}");
            return SplitLast(RowFields.Messages(list, "messages", isResponse: false), "messages");
        }
        return SplitLast(ShareGpt.Conversation(row, "conversations", format), "conversations");
    }

    /// <summary>A conversation whose last message is the assistant's: that message is the completion, the rest the prompt.</summary>
    private static (Prompt, Completion) SplitLast(List<Message> conversation, string field)
    {
        var last = conversation[^1];
        if (last.Role != "assistant")
            throw new RowProblem($"field '{field}': the last message must be the assistant's (the completion), found role '{last.Role}'");
        if (conversation.Count < 2) throw new RowProblem($"field '{field}': no prompt before the assistant's message");
        if (last.Content.Length == 0) throw new RowProblem($"field '{field}': message {conversation.Count - 1} has empty content");
        return (Prompt.FromMessages(conversation[..^1]), Completion.FromMessages([last]));
    }
}
