using Simper.Checkpoints;
using Simper.Distributed;
using Simper.Models;
using Simper.Objectives;
using Simper.Text;
using static TorchSharp.torch;

namespace Simper.Scoring;

/// <summary>A model's scores on preference pairs and the numbers computed from them.</summary>
public sealed record PreferenceEvaluationResult(PairScores Scores, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// Scores a model on preference pairs: the summed log-probs of each pair's responses, the preference accuracy, and
/// with an <see cref="Objective"/> that method's loss and rewards over all pairs. A method with a reference takes
/// its log-probs from the data when every pair carries ref_chosen_logps/ref_rejected_logps, else from
/// <see cref="ReferenceModel"/>, else from the model itself; <see cref="Log"/> says which.
/// </summary>
public sealed class PreferenceEvaluation
{
    public required ModelFolder Model { get; init; }
    public IPreferenceObjective? Objective { get; init; }
    public ModelFolder? ReferenceModel { get; init; }
    public ScalarType Dtype { get; init; } = ScalarType.Float32;
    public Device? Device { get; init; }
    /// <summary>Pairs scored per forward pass.</summary>
    public int BatchSize { get; init; } = 8;
    public TextWriter Log { get; init; } = TextWriter.Null;
    /// <summary>A progress sink for a named pass over a number of pairs, or null for none.</summary>
    public Func<string, int, IProgress<int>?> Progress { get; init; } = (_, _) => null;
    /// <summary>The ranks sharing the scoring (every rank ends with every score); the lone process by default.</summary>
    public ICommunicator Communicator { get; init; } = SingleProcess.Instance;

    public PreferenceEvaluationResult Run(IReadOnlyList<EncodedPair> pairs)
    {
        using var policy = Model.LoadModel(Dtype, Device);
        var scores = Score(policy, pairs, "scored pairs");
        var metrics = PairEvaluation.Summary(scores);
        if (Objective is not null)
        {
            var reference = Objective.NeedsReference ? Reference(policy, pairs, scores) : null;
            foreach (var (name, value) in PairEvaluation.Evaluate(Objective, scores, reference)) metrics[name] = value;
        }
        return new PreferenceEvaluationResult(scores, metrics);
    }

    private PairScores Score(LlamaForCausalLM model, IReadOnlyList<EncodedPair> pairs, string label) =>
        PairScorer.Score(model, pairs, BatchSize, Model.Config.PaddingId, Progress(label, pairs.Count), Communicator);

    private PairScores Reference(LlamaForCausalLM policy, IReadOnlyList<EncodedPair> pairs, PairScores policyScores)
    {
        if (PairScores.FromData(pairs) is { } fromData)
        {
            Log.WriteLine("reference log-probs: from the data's ref_chosen_logps/ref_rejected_logps");
            return fromData;
        }
        if (ReferenceModel is null)
        {
            Log.WriteLine("reference log-probs: the model itself (no --ref-model and no ref fields in the data)");
            return policyScores;
        }
        if (ReferenceModel.Config.VocabSize != policy.Config.VocabSize)
            throw new SettingException($"«reference_model» {ReferenceModel.Path}: vocabulary size {ReferenceModel.Config.VocabSize} differs from the model's {policy.Config.VocabSize}");
        using var reference = ReferenceModel.LoadModel(Dtype, Device);
        return Score(reference, pairs, "scored pairs (reference)");
    }
}

/// <summary>
/// Reference log-probs computed once: every pair scored with the reference model and written pre-tokenized with
/// TRL's ref_chosen_logps/ref_rejected_logps, so reference-based training needs no reference model in memory. The
/// rows hold token ids truncated as training truncates them, so the log-probs match exactly.
/// </summary>
public static class ReferencePrecompute
{
    public static PairScores Score(ModelFolder reference, IReadOnlyList<EncodedPair> pairs, int batchSize,
        ScalarType dtype = ScalarType.Float32, Device? device = null, IProgress<int>? progress = null, ICommunicator? ranks = null)
    {
        using var model = reference.LoadModel(dtype, device);
        return PairScorer.Score(model, pairs, batchSize, reference.Config.PaddingId, progress, ranks);
    }

    /// <summary>One JSON object per pair: its token ids and the reference's summed log-probs.</summary>
    public static IEnumerable<System.Text.Json.Nodes.JsonObject> Rows(IReadOnlyList<EncodedPair> pairs, PairScores scores) =>
        pairs.Select((pair, i) => new System.Text.Json.Nodes.JsonObject
        {
            ["prompt_input_ids"] = new System.Text.Json.Nodes.JsonArray([.. pair.Prompt.Select(id => (System.Text.Json.Nodes.JsonNode)id)]),
            ["chosen_input_ids"] = new System.Text.Json.Nodes.JsonArray([.. pair.Chosen.Select(id => (System.Text.Json.Nodes.JsonNode)id)]),
            ["rejected_input_ids"] = new System.Text.Json.Nodes.JsonArray([.. pair.Rejected.Select(id => (System.Text.Json.Nodes.JsonNode)id)]),
            ["ref_chosen_logps"] = scores.ChosenSums[i],
            ["ref_rejected_logps"] = scores.RejectedSums[i],
        });
}
