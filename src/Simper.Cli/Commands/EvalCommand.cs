using System.CommandLine;
using System.Text.Json.Nodes;
using Simper.Data;
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

            var modelDir = model.ModelDir(parse);
            var truncation = Truncation(parse.GetValue(maxLength), parse.GetValue(maxPromptLength));
            var pairs = Encode(modelDir, parse.GetValue(data)!, dataOptions.Read(parse), truncation);
            using var policy = model.Load(parse);
            var padId = policy.Config.PaddingId;
            var size = parse.GetValue(batchSize);
            var scores = PairScorer.Score(policy, pairs, size, padId, Output.Progress("scored pairs", pairs.Count, size));

            var metrics = PairEvaluation.Summary(scores);
            if (objective is not null)
            {
                var reference = objective.NeedsReference ? Reference(parse, model, refModel, policy, pairs, scores, size, padId) : null;
                foreach (var (name, value) in PairEvaluation.Evaluate(objective, scores, reference)) metrics[name] = value;
            }
            if (parse.GetValue(output) is { } outputPath) WriteRows(outputPath, pairs, scores);
            var json = new JsonObject();
            foreach (var (name, value) in metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
                json[name] = name == "pairs" ? (int)value : value;
            Console.Out.WriteLine(Output.ToJson(json));
            return 0;
        });
        return command;
    }

    internal static TruncationOptions Truncation(int? maxLength, int? maxPromptLength)
    {
        var max = maxLength ?? int.MaxValue;
        var maxPrompt = maxPromptLength ?? int.MaxValue;
        if (max < 2) throw new SimperException($"--max-length {max}: expected at least 2");
        if (maxPromptLength is not null && (maxPrompt < 1 || maxPrompt >= max))
            throw new SimperException($"--max-prompt-length {maxPrompt}: expected at least 1 and below --max-length to leave room for the response");
        return new TruncationOptions(max, maxPrompt);
    }

    internal static IReadOnlyList<EncodedPair> Encode(string modelDir, string dataPath, DataOptions options, TruncationOptions truncation)
    {
        var examples = DataOptionsBinding.Logged(DatasetLoader.LoadPreferences(dataPath, options));
        var text = ModelText.TryLoad(modelDir);
        var vocabSize = Simper.Models.ModelConfig.Load(Path.Combine(modelDir, Simper.Checkpoints.PretrainedModel.ConfigFile)).VocabSize;
        var encoder = new ExampleEncoder(text, truncation) { VocabSize = vocabSize };
        var pairs = encoder.EncodePairs(examples);
        if (encoder.Report.PromptsTruncated + encoder.Report.ResponsesTruncated + encoder.Report.Dropped > 0) Output.Log(encoder.Report.ToString());
        if (pairs.Count == 0) throw new SimperException($"{dataPath}: no pair fits --max-length {truncation.MaxLength}; every prompt leaves no room for a response");
        return pairs;
    }

    /// <summary>Reference log-probs: the data's own when every pair has them, else --ref-model's, else the policy's.</summary>
    private static PairScores Reference(ParseResult parse, ModelLoading model, Option<string> refModel,
        Simper.Models.LlamaForCausalLM policy, IReadOnlyList<EncodedPair> pairs, PairScores policyScores, int batchSize, int padId)
    {
        if (PairScores.FromData(pairs) is { } fromData)
        {
            Output.Log("reference log-probs: from the data's ref_chosen_logps/ref_rejected_logps");
            return fromData;
        }
        if (parse.GetValue(refModel) is not { } refDir)
        {
            Output.Log("reference log-probs: the model itself (no --ref-model and no ref fields in the data)");
            return policyScores;
        }
        using var reference = model.Load(parse, refDir);
        if (reference.Config.VocabSize != policy.Config.VocabSize)
            throw new SimperException($"--ref-model {refDir}: vocabulary size {reference.Config.VocabSize} differs from the model's {policy.Config.VocabSize}");
        return PairScorer.Score(reference, pairs, batchSize, padId, Output.Progress("scored pairs (reference)", pairs.Count, batchSize));
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
