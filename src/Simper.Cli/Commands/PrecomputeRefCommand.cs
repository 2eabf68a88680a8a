using System.CommandLine;
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
        var maxPromptLength = new Option<int?>("--max-prompt-length") { Description = "Prompt truncation, as the training run will use (default: min(256, --max-length / 2))" };
        var command = new Command("precompute-ref",
            "Write reference log-probs into the data for dpo/ipo without a live reference model. Example: simper precompute-ref --model sft --data pairs.jsonl --output pairs-ref.jsonl");
        model.AddTo(command);
        foreach (var option in new Option[] { data, output, batchSize, maxLength, maxPromptLength }) command.Options.Add(option);
        dataOptions.AddTo(command);
        command.SetAction(parse =>
        {
            var max = parse.GetValue(maxLength);
            // The limits training will apply: without max-prompt-length, the same default as training's.
            var promptLimit = parse.GetValue(maxPromptLength) ?? new TrainingSettings { MaxLength = max }.EffectiveMaxPromptLength;
            var truncation = PairEncoding.Truncation(max, promptLimit);
            var folder = model.Open(parse);
            var pairs = PairEncoding.Load(folder, parse.GetValue(data)!, dataOptions.Read(parse), truncation, Output.Logs);
            var size = parse.GetValue(batchSize);
            var scores = ReferencePrecompute.Score(folder, pairs, size, model.ParseDtype(parse), model.ParseDevice(parse),
                Output.Progress("scored pairs", pairs.Count, size), Simper.Distributed.Communicators.World);
            if (!Output.Writes) return 0;
            var path = parse.GetValue(output)!;
            AtomicFile.WriteAllText(path, string.Concat(ReferencePrecompute.Rows(pairs, scores).Select(row => Output.ToJson(row) + "\n")));
            Output.Log($"wrote {pairs.Count} pairs with reference log-probs to {path}");
            return 0;
        });
        return command;
    }
}
