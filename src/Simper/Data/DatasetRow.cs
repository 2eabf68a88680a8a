using System.Text.Json.Nodes;

namespace Simper.Data;

/// <summary>One raw row of a dataset file, as JSON whatever the file format, with where it came from.</summary>
public sealed record DatasetRow(JsonObject Fields, RowSource Source);
