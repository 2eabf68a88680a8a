using System.CommandLine;
using System.Text.Json.Nodes;
using Simper.Scoring;
using Simper.Training;

namespace Simper.Cli.Commands;

/// <summary>
/// `simper precompute-ref`: scores every pair once with the reference model and writes the pairs pre-tokenized with
/// TRL's `ref_chosen_logps`/`ref_rejected_logps`, so reference-based training needs no reference model in memory.
/// The rows are written as token ids, truncated as training will truncate them, so the log-probs match exactly.
/// </summary>
internal static class PrecomputeRefCommand
{
    public static Command Create()
    {
        var defaults = new TrainingSettings();
        var model = new ModelLoading();
        var dataOptions = new DataOptionsBinding();
        var data = new Option<string>("--data") { Description = "Preference pairs (any supported format)", Required = true };
        var output = CommonOptions.Output("JSONL of pre-tokenized pairs with ref_chosen_logps and ref_rejected_logps");
        var batchSize = new Option<int>("--batch-size") { Description = "Pairs scored per forward pass", DefaultValueFactory = _ => 8 };
        var maxLength = new Option<int>("--max-length") { Description = "Truncation, as the training run will use", DefaultValueFactory = _ => defaults.MaxLength };
        var maxPromptLength = new Option<int>("--max-prompt-length") { Description = "Prompt truncation, as the training run will use", DefaultValueFactory = _ => defaults.MaxPromptLength };
        var command = new Command("precompute-ref",
            "Write reference log-probs into the data for dpo/ipo without a live reference model. Example: simper precompute-ref --model sft --data pairs.jsonl --output pairs-ref.jsonl");
        model.AddTo(command);
        foreach (var option in new Option[] { data, output, batchSize, maxLength, maxPromptLength }) command.Options.Add(option);
        dataOptions.AddTo(command);
        command.SetAction(parse =>
        {
            var truncation = EvalCommand.Truncation(parse.GetValue(maxLength), parse.GetValue(maxPromptLength));
            var pairs = EvalCommand.Encode(model.ModelDir(parse), parse.GetValue(data)!, dataOptions.Read(parse), truncation);
            using var reference = model.Load(parse);
            var padId = reference.Config.PaddingId;
            var size = parse.GetValue(batchSize);
            var scores = PairScorer.Score(reference, pairs, size, padId, Output.Progress("scored pairs", pairs.Count, size));
            var path = parse.GetValue(output)!;
            AtomicFile.WriteAllText(path, string.Concat(pairs.Select((pair, i) => Output.ToJson(new JsonObject
            {
                ["prompt_input_ids"] = new JsonArray([.. pair.Prompt.Select(id => (JsonNode)id)]),
                ["chosen_input_ids"] = new JsonArray([.. pair.Chosen.Select(id => (JsonNode)id)]),
                ["rejected_input_ids"] = new JsonArray([.. pair.Rejected.Select(id => (JsonNode)id)]),
                ["ref_chosen_logps"] = scores.ChosenSums[i],
                ["ref_rejected_logps"] = scores.RejectedSums[i],
            }) + "\n")));
            Output.Log($"wrote {pairs.Count} pairs with reference log-probs to {path}");
            return 0;
        });
        return command;
    }
}
