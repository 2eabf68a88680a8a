namespace Simper.Data;

/// <summary>
/// Where a row came from: the file and, for JSON Lines, the 1-based line; otherwise the 0-based row index in the
/// file (JSON arrays and Parquet have no meaningful line per row). Its text is the prefix of every error message.
/// </summary>
public readonly record struct RowSource(string File, long Index, long? Line = null)
{
    /// <summary><c>file:line</c> for JSON Lines rows, <c>file[index]</c> for the others.</summary>
    public override string ToString() => Line is { } line ? $"{File}:{line}" : $"{File}[{Index}]";
}
