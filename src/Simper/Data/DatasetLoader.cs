using System.Text.Json.Nodes;

namespace Simper.Data;

/// <summary>
/// The examples read from a dataset, the format detected from its first row, and the rows skipped
/// (<see cref="DataOptions.SkipBadRows"/>) with the first of their problems.
/// </summary>
public sealed record DatasetLoadResult<T>(IReadOnlyList<T> Examples, string Format, int SkippedRows, IReadOnlyList<string> Problems);

/// <summary>
/// Loads a dataset path (file or folder) into typed examples: reads the rows, applies the field mapping, detects the
/// format from the first row and holds every other row to it. Each problem is a <see cref="SimperException"/> whose
/// message begins with the row's source (<c>file:line</c> or <c>file[index]</c>).
/// </summary>
public static class DatasetLoader
{
    private const int ProblemsKept = 100;
    private const string MappingHint = "name other fields with a field mapping such as prompt=question,chosen=response_j,rejected=response_k";

    /// <summary>Preference pairs: TRL standard/conversational, implicit prompt, ShareGPT or pre-tokenized.</summary>
    public static DatasetLoadResult<PreferenceExample> LoadPreferences(string path, DataOptions options) =>
        Load<PreferenceExample>(path, options, "preference", PreferenceFormats.All, format =>
        {
            var convert = PreferenceFormats.Converter(format);
            return (row, source) => [convert(row, source)];
        });

    /// <summary>
    /// Unpaired examples for KTO: TRL prompt/completion/label, messages + label, ShareGPT conversations + label,
    /// pre-tokenized; preference pairs are split into a desirable and an undesirable example each.
    /// </summary>
    public static DatasetLoadResult<UnpairedExample> LoadUnpaired(string path, DataOptions options) =>
        Load(path, options, "unpaired", [.. UnpairedFormats.All, .. PreferenceFormats.All], UnpairedFormats.Converter);

    /// <summary>SFT examples: TRL prompt/completion, text, messages, or ShareGPT conversations.</summary>
    public static DatasetLoadResult<SftExample> LoadSft(string path, DataOptions options) =>
        Load<SftExample>(path, options, "SFT", SftFormats.All, format =>
        {
            var convert = SftFormats.Converter(format);
            return (row, source) => [convert(row, source)];
        });

    private static DatasetLoadResult<T> Load<T>(string path, DataOptions options, string task, FormatSpec[] formats,
        Func<FormatSpec, Func<JsonObject, RowSource, IEnumerable<T>>> converterFor)
    {
        var map = FieldMap.Parse(options.FieldMap);
        var examples = new List<T>();
        var problems = new List<string>();
        var skipped = 0;
        FormatSpec? format = null;
        Func<JsonObject, RowSource, IEnumerable<T>>? convert = null;
        foreach (var raw in DatasetReader.ReadRaw(path, options))
        {
            try
            {
                if (raw.Problem is not null) throw new RowProblem(raw.Problem);
                var row = raw.Fields!;
                map.Apply(row);
                if (convert is null)
                {
                    format = formats.FirstOrDefault(f => f.Matches(row)) ?? throw new SimperException(
                        $"{raw.Source}: no {task} format matches the fields {Fields(row)}; accepted: {string.Join("; ", formats.Select(f => f.ToString()))}; {MappingHint}");
                    convert = converterFor(format);
                }
                examples.AddRange(convert(row, raw.Source));
            }
            catch (RowProblem problem)
            {
                var message = $"{raw.Source}: {problem.Message}";
                if (!options.SkipBadRows) throw new SimperException(message, problem);
                skipped++;
                if (problems.Count < ProblemsKept) problems.Add(message);
            }
        }
        if (format is null) throw new SimperException($"{path}: every row was skipped as bad; the first: {problems.FirstOrDefault()}");
        return new DatasetLoadResult<T>(examples, format.ToString(), skipped, problems);
    }

    private static string Fields(JsonObject row) => row.Count == 0 ? "(none)" : string.Join(", ", row.Select(p => p.Key));
}
