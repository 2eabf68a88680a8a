using System.CommandLine;
using System.Text.Json.Nodes;
using Simper.Objectives;
using Simper.Scoring;
using Simper.Text;

namespace Simper.Cli.Commands;

/// <summary>`simper eval`: log-probabilities, preference accuracy and (with --method) the loss of a model on preference pairs.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var model = new ModelLoading();
        var dataOptions = new DataOptionsBinding();
        var data = new Option<string>("--data") { Description = "Preference pairs (TRL formats, ShareGPT or pre-tokenized)", Required = true };
        var output = CommonOptions.Output("JSONL file with one row per pair: chosen/rejected summed log-probs and token counts", required: false);
        var batchSize = new Option<int>("--batch-size") { Description = "Pairs scored per forward pass", DefaultValueFactory = _ => 8 };
        var method = new Option<string>("--method") { Description = $"Also report this method's loss and rewards: {string.Join(", ", ObjectiveCatalog.Names)}" };
        var refModel = new Option<string>("--ref-model")
        {
            Description = "Reference model for methods that need one, when the data has no ref_chosen_logps/ref_rejected_logps (default: --model itself)",
        };
        var maxLength = new Option<int?>("--max-length") { Description = "Truncate prompt + response to this many tokens (default: no truncation)" };
        var maxPromptLength = new Option<int?>("--max-prompt-length") { Description = "Keep only the last this many prompt tokens (default: the whole prompt)" };
        var hyperparameters = CommonOptions.Hyperparameters();

        var command = new Command("eval",
            "Score a model on preference pairs. Example: simper eval --model out --data pairs.jsonl --method dpo");
        model.AddTo(command);
        foreach (var option in new Option[] { data, output, batchSize, method, refModel, maxLength, maxPromptLength }) command.Options.Add(option);
        foreach (var option in hyperparameters.Values) command.Options.Add(option);
        dataOptions.AddTo(command);

        command.SetAction(parse =>
        {
            var overrides = hyperparameters.Where(h => parse.GetValue(h.Value) is not null)
                .ToDictionary(h => h.Key, h => parse.GetValue(h.Value)!.Value);
            var methodName = parse.GetValue(method);
            if (methodName is null && overrides.Count > 0)
                throw new SimperException($"--{overrides.Keys.First()} is a method hyperparameter; give --method too");
            var objective = methodName is null ? null : ObjectiveCatalog.Create(methodName, overrides);

            var folder = model.Open(parse);
            var truncation = PairEncoding.Truncation(parse.GetValue(maxLength), parse.GetValue(maxPromptLength));
            var pairs = PairEncoding.Load(folder, parse.GetValue(data)!, dataOptions.Read(parse), truncation, Output.Logs);
            var evaluation = new PreferenceEvaluation
            {
                Model = folder, Objective = objective,
                ReferenceModel = parse.GetValue(refModel) is { } refDir ? model.Open(parse, refDir) : null,
                Dtype = model.ParseDtype(parse), Device = model.ParseDevice(parse), BatchSize = parse.GetValue(batchSize),
                Communicator = Simper.Distributed.Communicators.World,
                Log = Output.Logs, Progress = (label, total) => Output.Progress(label, total, parse.GetValue(batchSize)),
            };
            var result = evaluation.Run(pairs);
            if (!Output.Writes) return 0;
            if (parse.GetValue(output) is { } outputPath) WriteRows(outputPath, pairs, result.Scores);
            var json = new JsonObject();
            foreach (var (name, value) in result.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
                json[name] = name == "pairs" ? (int)value : value;
            Console.Out.WriteLine(Output.ToJson(json));
            return 0;
        });
        return command;
    }

    private static void WriteRows(string path, IReadOnlyList<EncodedPair> pairs, PairScores scores)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        using var writer = new StreamWriter(path);
        for (var i = 0; i < pairs.Count; i++)
            writer.WriteLine(Output.ToJson(new JsonObject
            {
                ["source"] = pairs[i].Source.ToString(),
                ["chosen_logps"] = scores.ChosenSums[i],
                ["rejected_logps"] = scores.RejectedSums[i],
                ["chosen_tokens"] = scores.ChosenTokens[i],
                ["rejected_tokens"] = scores.RejectedTokens[i],
            }));
    }
}
