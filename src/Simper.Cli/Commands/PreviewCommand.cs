using System.CommandLine;
using System.Text.Json.Nodes;
using Simper.Checkpoints;
using Simper.Data;
using Simper.Objectives;
using Simper.Text;
using Simper.Tokenization;

namespace Simper.Cli.Commands;

/// <summary>`simper preview`: how dataset rows become the text and tokens a method trains on, and where truncation cuts.</summary>
public static class PreviewCommand
{
    private static readonly string[] Formats = ["text", "json"];
    private static readonly string[] TruncationModes = ["keep_end", "keep_start"];

    public static Command Create()
    {
        var modelDir = CommonOptions.Model("Model folder whose tokenizer and chat template encode the data");
        var dataOptions = new DataOptionsBinding();
        var data = new Option<string>("--data") { Description = "Dataset file or folder", Required = true };
        var rows = new Option<int>("--rows") { Description = "Rows to show", DefaultValueFactory = _ => 3 };
        var format = new Option<string>("--format") { Description = "text or json (one object per row)", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong(Formats);
        var method = new Option<string>("--method")
        {
            Description = $"Training method the rows are read for: sft or {string.Join(", ", ObjectiveCatalog.Names)}",
            DefaultValueFactory = _ => ObjectiveCatalog.DefaultName,
        };
        var maxLength = new Option<int>("--max-length") { Description = "Maximum tokens of prompt plus response", DefaultValueFactory = _ => 512 };
        var maxPromptLength = new Option<int>("--max-prompt-length") { Description = "Maximum prompt tokens", DefaultValueFactory = _ => 256 };
        var truncationMode = new Option<string>("--truncation-mode") { Description = "Which end of a long prompt to keep", DefaultValueFactory = _ => "keep_end" };
        truncationMode.AcceptOnlyFromAmong(TruncationModes);

        var command = new Command("preview",
            "Show how data rows become training text and tokens. Example: simper preview --model out --data pairs.jsonl --rows 2");
        command.Options.Add(modelDir);
        foreach (var option in new Option[] { data, rows, format, method, maxLength, maxPromptLength, truncationMode }) command.Options.Add(option);
        dataOptions.AddTo(command);

        command.SetAction(parse =>
        {
            var count = parse.GetValue(rows);
            if (count < 1) throw new SimperException($"--rows {count}: expected at least 1");
            var (max, maxPrompt) = (parse.GetValue(maxLength), parse.GetValue(maxPromptLength));
            if (maxPrompt < 1 || maxPrompt >= max)
                throw new SimperException($"--max-prompt-length {maxPrompt}: expected at least 1 and below --max-length ({max}) to leave room for the response");
            var truncation = new TruncationOptions(max, maxPrompt, parse.GetValue(truncationMode) == "keep_end");
            var encoder = ModelFolder.Open(parse.GetValue(modelDir)!).Encoder();
            var report = new EncodingReport();
            var shown = Preview(parse.GetValue(method)!, parse.GetValue(data)!, dataOptions.Read(parse), encoder, truncation, count, report);
            var json = parse.GetValue(format) == "json";
            foreach (var row in shown) Console.Out.Write(json ? Output.ToJson(ToJson(row, encoder.Tokenizer)) + "\n" : ToText(row, encoder.Tokenizer, truncation));
            if (report.MovedQuestionWarning() is { } warning) Console.Error.WriteLine(warning);
            return 0;
        });
        return command;
    }

    private static IReadOnlyList<PreviewRow> Preview(string method, string path, DataOptions options, PromptResponseEncoder encoder,
        TruncationOptions truncation, int count, EncodingReport report)
    {
        if (string.Equals(method, "sft", StringComparison.OrdinalIgnoreCase))
            return EncodingPreview.Sft(DataOptionsBinding.Logged(DatasetLoader.LoadSft(path, options)).Take(count), encoder, truncation, report);
        if (ObjectiveCatalog.Find(method).Unpaired)
            return EncodingPreview.Unpaired(DataOptionsBinding.Logged(DatasetLoader.LoadUnpaired(path, options)).Take(count), encoder, truncation, report);
        return EncodingPreview.Pairs(DataOptionsBinding.Logged(DatasetLoader.LoadPreferences(path, options)).Take(count), encoder, truncation, report);
    }

    private static JsonObject ToJson(PreviewRow row, ModelTokenizer tokenizer)
    {
        var json = new JsonObject { ["source"] = row.Source.ToString() };
        if (row.Desirable is { } label) json["label"] = label;
        foreach (var segment in row.Segments) json[$"{segment.Name}_text"] = tokenizer.Decode(segment.Ids);
        foreach (var segment in row.Segments) json[$"{segment.Name}_input_ids"] = new JsonArray(segment.Ids.Select(id => (JsonNode)id).ToArray());
        foreach (var segment in row.Segments) json[$"{segment.Name}_untruncated_length"] = segment.UntruncatedLength;
        json["dropped"] = row.Dropped;
        return json;
    }

    private static string ToText(PreviewRow row, ModelTokenizer tokenizer, TruncationOptions truncation)
    {
        var text = new System.Text.StringBuilder();
        text.Append($"=== {row.Source}");
        if (row.Desirable is { } label) text.Append(label ? " (desirable)" : " (undesirable)");
        text.Append('\n');
        if (row.Dropped)
            text.Append($"dropped: the prompt ({row.Segments[0].UntruncatedLength} tokens) leaves no room for a response within --max-length {truncation.MaxLength}\n");
        foreach (var segment in row.Segments)
        {
            var cut = segment.Truncated
                ? $", cut from {segment.UntruncatedLength}" + (segment.Name == "prompt" ? (truncation.KeepPromptEnd ? " keeping the end" : " keeping the start") : " at the end")
                : "";
            text.Append($"--- {segment.Name} ({segment.Ids.Length} tokens{cut})\n{tokenizer.Decode(segment.Ids)}\n");
        }
        return text.Append('\n').ToString();
    }
}
