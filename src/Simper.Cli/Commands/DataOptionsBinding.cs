using System.CommandLine;
using Simper.Data;

namespace Simper.Cli.Commands;

/// <summary>The --field-map/--split/--skip-bad-rows options of commands that read a dataset.</summary>
internal sealed class DataOptionsBinding
{
    public Option<string> FieldMap { get; } = new("--field-map")
    {
        Description = "Rename fields as target=source pairs, e.g. prompt=question,chosen=response_j,rejected=response_k",
    };
    public Option<string> Split { get; } = new("--split") { Description = "Split to read when the data is a folder (train, test, ...)" };
    public Option<bool> SkipBadRows { get; } = new("--skip-bad-rows") { Description = "Skip and count bad rows instead of stopping at the first" };

    public void AddTo(Command command)
    {
        command.Options.Add(FieldMap);
        command.Options.Add(Split);
        command.Options.Add(SkipBadRows);
    }

    public DataOptions Read(ParseResult parse) => new()
    {
        FieldMap = parse.GetValue(FieldMap),
        Split = parse.GetValue(Split),
        SkipBadRows = parse.GetValue(SkipBadRows),
    };

    /// <summary>Logs what loading skipped, so no row disappears silently.</summary>
    public static IReadOnlyList<T> Logged<T>(DatasetLoadResult<T> loaded)
    {
        if (loaded.SkippedRows > 0) Output.Log($"skipped {loaded.SkippedRows} bad rows; the first: {loaded.Problems[0]}");
        return loaded.Examples;
    }
}
