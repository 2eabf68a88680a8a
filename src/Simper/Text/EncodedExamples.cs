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

    public override string ToString() => $"{Examples} examples; {Changes()}";

    /// <summary>What truncation did, without the count of examples read.</summary>
    public string Changes() =>
        $"{PromptsTruncated} prompts and {ResponsesTruncated} responses truncated; {Dropped} dropped (no room for a response)" +
        (DroppedRows.Count > 0 ? $", first at {DroppedRows[0]}" : "");
}
