namespace Simper.Data;

/// <summary>A dataset format recognised by its fields; its text names it in messages.</summary>
internal sealed record FormatSpec(string Name, string[] Fields)
{
    public bool Matches(System.Text.Json.Nodes.JsonObject row) => Fields.All(row.ContainsKey);

    public override string ToString() => $"{Name} ({string.Join(", ", Fields)})";
}

/// <summary>
/// Holds a dataset to one <see cref="SegmentKind"/>: the first segment read sets it, and a later prompt or response
/// in another form (text among messages) is a problem, since one batch is rendered one way.
/// </summary>
internal sealed class KindCheck
{
    private SegmentKind? _expected;

    public T Check<T>(T segment, string field) where T : ChatSegment
    {
        _expected ??= segment.Kind;
        if (segment.Kind != _expected)
            throw new RowProblem($"field '{field}': expected {Describe(_expected.Value)} like the rest of the dataset, found {Describe(segment.Kind)}");
        return segment;
    }

    private static string Describe(SegmentKind kind) => kind switch
    {
        SegmentKind.Text => "a string",
        SegmentKind.Messages => "a list of messages",
        _ => "token ids",
    };
}
