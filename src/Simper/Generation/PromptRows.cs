using System.Text.Json;
using System.Text.Json.Nodes;
using Simper.Data;
using Simper.Templates;

namespace Simper.Generation;

/// <summary>
/// A dataset row to generate from: its <c>prompt</c> field as text, or as chat messages (<see cref="Messages"/>
/// non-null), and all its fields so they can be carried into the output.
/// </summary>
public sealed record PromptRow(JsonObject Fields, RowSource Source, string? Text, IReadOnlyList<ChatMessage>? Messages);

/// <summary>Reads the prompts of a dataset (JSON Lines, JSON or Parquet) for generation.</summary>
public static class PromptRows
{
    public const string PromptField = "prompt";

    /// <summary>Every row's prompt; a row without a string or message-list <c>prompt</c> is a one-line error naming it.</summary>
    public static IReadOnlyList<PromptRow> Read(string path, DataOptions options)
    {
        var rows = new List<PromptRow>();
        foreach (var row in DatasetReader.ReadRows(path, options))
        {
            if (!row.Fields.TryGetPropertyValue(PromptField, out var prompt))
                throw new SimperException($"{row.Source}: field '{PromptField}' is missing; the row has: {string.Join(", ", row.Fields.Select(p => p.Key))}");
            try
            {
                rows.Add(prompt switch
                {
                    // An empty prompt is allowed: generation then starts from BOS alone.
                    JsonValue value when value.GetValueKind() == JsonValueKind.String => new PromptRow(row.Fields, row.Source, value.GetValue<string>(), null),
                    JsonArray list => new PromptRow(row.Fields, row.Source, null,
                        RowFields.Messages(list, PromptField, isResponse: false).Select(m => new ChatMessage(m.Role, m.Content)).ToList()),
                    _ => throw new RowProblem($"field '{PromptField}': expected a string or a list of messages, found {JsonKinds.Describe(prompt)}"),
                });
            }
            catch (RowProblem problem)
            {
                throw new SimperException($"{row.Source}: {problem.Message}", problem);
            }
        }
        return rows;
    }
}
