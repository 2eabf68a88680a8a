namespace Simper.Data;

/// <summary>How a dataset is found and read.</summary>
public sealed record DataOptions
{
    /// <summary>
    /// The split to read from a folder (<c>train</c>, <c>test</c>, ...): the files whose folder is named so, or whose
    /// file name holds the word between separators (<c>train.jsonl</c>, <c>data/train-00000-of-00001.parquet</c>,
    /// <c>train/part-0.jsonl</c>). Null reads every data file. Ignored when the path is a single file.
    /// </summary>
    public string? Split { get; init; }

    /// <summary>
    /// Renames fields before the format is detected, as <c>target=source</c> pairs, e.g.
    /// <c>prompt=question,chosen=response_j,rejected=response_k</c>. Null or empty maps nothing.
    /// </summary>
    public string? FieldMap { get; init; }

    /// <summary>
    /// For a JSON file whose top level is an object: the field holding the list of rows (like the <c>field</c>
    /// argument of Hugging Face's JSON loader). Without it, an object with a single list field is unwrapped.
    /// </summary>
    public string? JsonField { get; init; }

    /// <summary>
    /// Skip and count rows with a problem instead of stopping at the first one. Problems with a whole file (unreadable,
    /// empty, not UTF-8 in a JSON array, unknown format) still stop the load.
    /// </summary>
    public bool SkipBadRows { get; init; }

    /// <summary>The longest JSON Lines line accepted, in bytes; longer lines are an error rather than a memory blow-up.</summary>
    public int MaxLineBytes { get; init; } = 64 * 1024 * 1024;
}
