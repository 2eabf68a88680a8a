using Simper.Data;

namespace Simper.Text;

/// <summary>A preference pair as token ids, ready to collate; reference log-probs ride along when the data has them.</summary>
public sealed record EncodedPair(int[] Prompt, int[] Chosen, int[] Rejected, double? RefChosenLogps, double? RefRejectedLogps, RowSource Source);

/// <summary>One labelled completion for KTO.</summary>
public sealed record EncodedCompletion(int[] Prompt, int[] Completion, bool Desirable, RowSource Source);

/// <summary>A supervised example: the loss covers <see cref="Completion"/> only; <see cref="Prompt"/> may be empty.</summary>
public sealed record EncodedSft(int[] Prompt, int[] Completion, RowSource Source);

/// <summary>
/// How long sequences may be. The prompt is cut first (to <see cref="MaxPromptLength"/>, keeping its end or its start),
/// then responses are cut at their end so that prompt + response fits <see cref="MaxLength"/>. An example whose
/// prompt leaves no room for a response is dropped and counted.
/// </summary>
public sealed record TruncationOptions(int MaxLength, int MaxPromptLength, bool KeepPromptEnd = true)
{
    public static TruncationOptions None { get; } = new(int.MaxValue, int.MaxValue);
}

/// <summary>What encoding did to a dataset: every cut and every dropped row is counted, never silent.</summary>
public sealed class EncodingReport
{
    public int Examples { get; internal set; }
    public int PromptsTruncated { get; internal set; }
    public int ResponsesTruncated { get; internal set; }
    public int Dropped { get; internal set; }
    public List<string> DroppedRows { get; } = [];

    /// <summary>Rows encoded, and those whose chat template moved the last user message into the response.</summary>
    public int Rows { get; private set; }
    public int QuestionsInResponse { get; private set; }
    private (RowSource Source, MovedQuestion Moved)? _movedExample;
    private static readonly System.Text.Json.JsonSerializerOptions QuoteJson =
        new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal void CountRow(RowSource source, MovedQuestion? moved)
    {
        Rows++;
        if (moved is null) return;
        QuestionsInResponse++;
        _movedExample ??= (source, moved);
    }

    /// <summary>One warning naming the count and the first such row, or null when no row was affected.</summary>
    public string? MovedQuestionWarning()
    {
        if (_movedExample is not var (source, moved)) return null;
        static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text.Length <= 200 ? text : text[..200] + "…", QuoteJson);
        return $"warning: in {QuestionsInResponse} of {Rows} rows the chat template renders the prompt alone differently " +
               $"from the same prompt inside the whole conversation, so the last user message falls in the response " +
               $"(where SimPER and SimPO average log-probs over it). First at {source}: the prompt alone renders " +
               $"{Quote(moved.PromptAlone)}, the conversation {Quote(moved.Conversation)}; they share only " +
               $"{Quote(moved.Conversation[..moved.Shared])}. Choose another chat template (tokenizer_config.json " +
               $"\"chat_template\") to train on the right prompt/response boundary.";
    }

    public override string ToString() => $"{Examples} examples; {Changes()}";

    /// <summary>What truncation did, without the count of examples read.</summary>
    public string Changes() =>
        $"{PromptsTruncated} prompts and {ResponsesTruncated} responses truncated; {Dropped} dropped (no room for a response)" +
        (DroppedRows.Count > 0 ? $", first at {DroppedRows[0]}" : "");
}
