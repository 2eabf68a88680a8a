using System.Text.Json.Nodes;

namespace Simper.Data;

/// <summary>The supervised fine-tuning formats, detected from a row's fields in this order.</summary>
internal static class SftFormats
{
    public static readonly FormatSpec PromptCompletion = new("TRL prompt-completion", ["prompt", "completion"]);
    public static readonly FormatSpec Messages = new("TRL conversational language modelling", ["messages"]);
    public static readonly FormatSpec Conversations = new("ShareGPT conversation", ["conversations"]);
    public static readonly FormatSpec Text = new("TRL language modelling", ["text"]);

    public static readonly FormatSpec[] All = [PromptCompletion, Messages, Conversations, Text];

    public static Func<JsonObject, RowSource, SftExample> Converter(FormatSpec format)
    {
        var kinds = new KindCheck();
        return (row, source) =>
        {
            if (format == PromptCompletion)
                return new SftExample(
                    kinds.Check(RowFields.Prompt(RowFields.Required(row, "prompt", format), "prompt"), "prompt"),
                    kinds.Check(RowFields.Completion(RowFields.Required(row, "completion", format), "completion"), "completion"),
                    source);
            if (format == Messages)
            {
                var node = RowFields.Required(row, "messages", format);
                if (node is not JsonArray list)
                    throw new RowProblem($"field 'messages': expected a list of messages, found {JsonKinds.Describe(node)}");
                return new SftExample(null, Completion.FromMessages(RowFields.Messages(list, "messages", isResponse: false)), source);
            }
            if (format == Conversations)
                return new SftExample(null, Completion.FromMessages(ShareGpt.Conversation(row, "conversations", format)), source);
            return new SftExample(null, Completion.FromText(RowFields.Text(RowFields.Required(row, "text", format), "text")), source);
        };
    }
}
