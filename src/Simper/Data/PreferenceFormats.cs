using System.Text.Json.Nodes;

namespace Simper.Data;

/// <summary>The preference-pair formats, detected from a row's fields in this order.</summary>
internal static class PreferenceFormats
{
    public static readonly FormatSpec Tokenized =
        new("pre-tokenized preference", ["prompt_input_ids", "chosen_input_ids", "rejected_input_ids"]);
    public static readonly FormatSpec ShareGptPairs = new("ShareGPT preference", ["conversations", "chosen", "rejected"]);
    public static readonly FormatSpec Explicit = new("TRL preference", ["prompt", "chosen", "rejected"]);
    public static readonly FormatSpec Implicit = new("TRL implicit-prompt preference", ["chosen", "rejected"]);

    public static readonly FormatSpec[] All = [Tokenized, ShareGptPairs, Explicit, Implicit];

    /// <summary>A converter for rows of the given format, holding the dataset to one kind of content.</summary>
    public static Func<JsonObject, RowSource, PreferenceExample> Converter(FormatSpec format)
    {
        var kinds = new KindCheck();
        return (row, source) =>
        {
            var (prompt, chosen, rejected) = ReadPair(row, format, kinds);
            var (refChosen, refRejected) = RowFields.ReferenceLogps(row);
            return new PreferenceExample(prompt, chosen, rejected, refChosen, refRejected, source);
        };
    }

    private static (Prompt, Completion, Completion) ReadPair(JsonObject row, FormatSpec format, KindCheck kinds)
    {
        if (format == Tokenized)
            return (Prompt.FromTokenIds(RowFields.TokenIds(RowFields.Required(row, "prompt_input_ids", format), "prompt_input_ids")),
                Completion.FromTokenIds(RowFields.TokenIds(RowFields.Required(row, "chosen_input_ids", format), "chosen_input_ids")),
                Completion.FromTokenIds(RowFields.TokenIds(RowFields.Required(row, "rejected_input_ids", format), "rejected_input_ids")));
        if (format == ShareGptPairs)
            return (Prompt.FromMessages(ShareGpt.Conversation(row, "conversations", format)),
                Completion.FromMessages(ShareGpt.Messages(RowFields.Required(row, "chosen", format), "chosen", isResponse: true)),
                Completion.FromMessages(ShareGpt.Messages(RowFields.Required(row, "rejected", format), "rejected", isResponse: true)));
        if (format == Explicit)
            return (kinds.Check(RowFields.Prompt(RowFields.Required(row, "prompt", format), "prompt"), "prompt"),
                kinds.Check(RowFields.Completion(RowFields.Required(row, "chosen", format), "chosen"), "chosen"),
                kinds.Check(RowFields.Completion(RowFields.Required(row, "rejected", format), "rejected"), "rejected"));
        return SplitImplicit(row, format, kinds);
    }

    private static (Prompt, Completion, Completion) SplitImplicit(JsonObject row, FormatSpec format, KindCheck kinds)
    {
        // Whole conversations: no response may be empty yet, since the shared part is only removed below.
        var (chosenText, chosenMessages) = RowFields.TextOrMessages(RowFields.Required(row, "chosen", format), "chosen", isResponse: false);
        var (rejectedText, rejectedMessages) = RowFields.TextOrMessages(RowFields.Required(row, "rejected", format), "rejected", isResponse: false);
        if ((chosenText is null) != (rejectedText is null))
            throw new RowProblem($"field 'rejected': expected {(chosenText is null ? "a list of messages" : "a string")} like 'chosen', found {(rejectedText is null ? "a list of messages" : "a string")}");
        const string noPrompt = "fields 'chosen' and 'rejected' share no prompt: they differ from the start";
        if (chosenText is not null)
        {
            var (prompt, chosen, rejected) = ImplicitPrompt.Split(chosenText, rejectedText!) ?? throw new RowProblem(noPrompt);
            return (kinds.Check(Prompt.FromText(prompt), "prompt"), Completion.FromText(chosen), Completion.FromText(rejected));
        }
        var (promptMessages, chosenRest, rejectedRest) = ImplicitPrompt.Split(chosenMessages!, rejectedMessages!) ?? throw new RowProblem(noPrompt);
        RequireContent(chosenRest, "chosen");
        RequireContent(rejectedRest, "rejected");
        return (kinds.Check(Prompt.FromMessages(promptMessages), "prompt"), Completion.FromMessages(chosenRest), Completion.FromMessages(rejectedRest));
    }

    private static void RequireContent(IReadOnlyList<Message> response, string field)
    {
        if (response.Any(m => m.Content.Length == 0)) throw new RowProblem($"field '{field}': a response message has empty content");
    }
}
