using Simper.Data;

namespace Simper.Text;

/// <summary>
/// One part of an encoded example ("prompt", "chosen", "rejected" or "completion"): the token ids the model sees
/// after truncation, and how many tokens the part had before it.
/// </summary>
public sealed record PreviewSegment(string Name, int[] Ids, int UntruncatedLength)
{
    public bool Truncated => Ids.Length < UntruncatedLength;
}

/// <summary>
/// How one dataset row becomes training tokens. When the row is dropped (its prompt leaves no room for a response
/// within the maximum length), the segments hold the untruncated encoding. <see cref="Desirable"/> is KTO's label.
/// </summary>
public sealed record PreviewRow(RowSource Source, IReadOnlyList<PreviewSegment> Segments, bool Dropped, bool? Desirable = null);

/// <summary>
/// Encodes examples as training does, once without and once with truncation, to show what truncation cuts; the
/// untruncated encodings are counted in <c>report</c> when one is given.
/// </summary>
public static class EncodingPreview
{
    public static IReadOnlyList<PreviewRow> Pairs(IEnumerable<PreferenceExample> examples, PromptResponseEncoder encoder, TruncationOptions truncation, EncodingReport? report = null) =>
        examples.Select(example =>
        {
            var whole = new ExampleEncoder(encoder, TruncationOptions.None) { Report = report ?? new() }.EncodePairs([example])[0];
            var cut = new ExampleEncoder(encoder, truncation).EncodePairs([example]).FirstOrDefault();
            var shown = cut ?? whole;
            return new PreviewRow(example.Source,
            [
                new PreviewSegment("prompt", shown.Prompt, whole.Prompt.Length),
                new PreviewSegment("chosen", shown.Chosen, whole.Chosen.Length),
                new PreviewSegment("rejected", shown.Rejected, whole.Rejected.Length),
            ], Dropped: cut is null);
        }).ToList();

    public static IReadOnlyList<PreviewRow> Unpaired(IEnumerable<UnpairedExample> examples, PromptResponseEncoder encoder, TruncationOptions truncation, EncodingReport? report = null) =>
        examples.Select(example =>
        {
            var whole = new ExampleEncoder(encoder, TruncationOptions.None) { Report = report ?? new() }.EncodeUnpaired([example])[0];
            var cut = new ExampleEncoder(encoder, truncation).EncodeUnpaired([example]).FirstOrDefault();
            var shown = cut ?? whole;
            return new PreviewRow(example.Source,
            [
                new PreviewSegment("prompt", shown.Prompt, whole.Prompt.Length),
                new PreviewSegment("completion", shown.Completion, whole.Completion.Length),
            ], Dropped: cut is null, example.Desirable);
        }).ToList();

    public static IReadOnlyList<PreviewRow> Sft(IEnumerable<SftExample> examples, PromptResponseEncoder encoder, TruncationOptions truncation, EncodingReport? report = null) =>
        examples.Select(example =>
        {
            var whole = new ExampleEncoder(encoder, TruncationOptions.None) { Report = report ?? new() }.EncodeSft([example])[0];
            var cut = new ExampleEncoder(encoder, truncation).EncodeSft([example]).FirstOrDefault();
            var shown = cut ?? whole;
            return new PreviewRow(example.Source,
            [
                new PreviewSegment("prompt", shown.Prompt, whole.Prompt.Length),
                new PreviewSegment("completion", shown.Completion, whole.Completion.Length),
            ], Dropped: cut is null);
        }).ToList();
}
