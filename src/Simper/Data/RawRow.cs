using System.Text.Json.Nodes;

namespace Simper.Data;

/// <summary>
/// A row as a file reader yields it: the parsed object, or the problem that kept this one row from being read
/// (a malformed line, bytes that are not UTF-8, a line over the size limit), which the loader may skip.
/// </summary>
internal readonly record struct RawRow(RowSource Source, JsonObject? Fields, string? Problem);

/// <summary>A problem with one row; the loader prefixes it with the row's source.</summary>
internal sealed class RowProblem(string message) : Exception(message);
