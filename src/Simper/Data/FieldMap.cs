using System.Text.Json.Nodes;

namespace Simper.Data;

/// <summary>
/// Renames a dataset's fields to the names the formats expect, from <c>target=source</c> pairs such as
/// <c>prompt=question,chosen=response_j,rejected=response_k</c>. Applied to every row before the format is detected.
/// </summary>
public sealed class FieldMap
{
    /// <summary>The field names a mapping may target: those of the formats <see cref="DatasetLoader"/> detects.</summary>
    public static readonly IReadOnlyList<string> KnownTargets =
    [
        "prompt", "chosen", "rejected", "completion", "label", "text", "messages", "conversations", "system",
        "prompt_input_ids", "chosen_input_ids", "rejected_input_ids", "completion_input_ids",
        "ref_chosen_logps", "ref_rejected_logps",
    ];

    private FieldMap(IReadOnlyList<(string Target, string Source)> pairs) => Pairs = pairs;

    public IReadOnlyList<(string Target, string Source)> Pairs { get; }

    public static FieldMap Empty { get; } = new([]);

    /// <summary>Parses <c>target=source[,target=source...]</c>; null or blank gives the empty mapping.</summary>
    public static FieldMap Parse(string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) return Empty;
        var pairs = new List<(string, string)>();
        foreach (var item in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = item.Split('=', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                throw new SimperException(
                    $"field mapping '{spec}': '{item}' is not target=source; expected pairs like prompt=question,chosen=response_j,rejected=response_k");
            if (!KnownTargets.Contains(parts[0]))
                throw new SimperException(
                    $"field mapping '{spec}': unknown target field '{parts[0]}'; expected one of {string.Join(", ", KnownTargets)}");
            if (pairs.Any(p => p.Item1 == parts[0] || p.Item2 == parts[1]))
                throw new SimperException($"field mapping '{spec}': '{item}' repeats a field already mapped");
            pairs.Add((parts[0], parts[1]));
        }
        return new FieldMap(pairs);
    }

    /// <summary>Renames the fields of one row in place; a source field the row lacks is a problem with that row.</summary>
    internal void Apply(JsonObject row)
    {
        var values = new List<(string Target, JsonNode? Value)>(Pairs.Count);
        foreach (var (target, source) in Pairs)
        {
            if (!row.TryGetPropertyValue(source, out var value))
                throw new RowProblem(
                    $"field '{source}' is missing (the field mapping reads '{target}' from it); the row has: {string.Join(", ", row.Select(p => p.Key))}");
            values.Add((target, value));
        }
        foreach (var (_, source) in Pairs) row.Remove(source);
        foreach (var (target, value) in values) row[target] = value;
    }

    public override string ToString() => string.Join(",", Pairs.Select(p => $"{p.Target}={p.Source}"));
}
