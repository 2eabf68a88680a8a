namespace Simper.Models;

/// <summary>
/// The shape of a freshly initialised model of <see cref="Family"/> (a model_type; Llama by default). <see cref="VocabSize"/> null means "exactly the tokenizer's
/// vocabulary"; a larger value leaves the ids past the tokenizer unused (handy to match a benchmark's embedding size).
/// </summary>
public sealed record ModelPreset(
    string Name,
    int HiddenSize,
    int NumHiddenLayers,
    int NumAttentionHeads,
    int NumKeyValueHeads,
    int IntermediateSize,
    int MaxPositionEmbeddings,
    bool TieWordEmbeddings,
    int? VocabSize = null,
    string Family = "llama")
{
    /// <summary>A Llama config of this shape for a tokenizer of <paramref name="tokenizerVocabSize"/> tokens and its special ids.</summary>
    public ModelConfig ToConfig(int tokenizerVocabSize, int? bosTokenId, int? eosTokenId, int? padTokenId)
    {
        var vocab = VocabSize ?? tokenizerVocabSize;
        if (vocab < tokenizerVocabSize)
            throw new SimperException($"preset '{Name}': vocabulary size {vocab} is smaller than the tokenizer's {tokenizerVocabSize} tokens");
        if (HiddenSize <= 0 || NumAttentionHeads <= 0 || HiddenSize % NumAttentionHeads != 0)
            throw new SimperException($"hidden size {HiddenSize} with {NumAttentionHeads} heads: expected a positive hidden size divisible by the head count");
        foreach (var (name, value) in new[] { ("layers", NumHiddenLayers), ("kv-heads", NumKeyValueHeads), ("intermediate-size", IntermediateSize), ("max-positions", MaxPositionEmbeddings) })
            if (value <= 0) throw new SimperException($"--{name} {value}: expected a positive number");
        var config = new ModelConfig
        {
            Architecture = "LlamaForCausalLM",
            ModelType = "llama",
            HiddenSize = HiddenSize,
            IntermediateSize = IntermediateSize,
            NumHiddenLayers = NumHiddenLayers,
            NumAttentionHeads = NumAttentionHeads,
            NumKeyValueHeads = NumKeyValueHeads,
            HeadDim = HiddenSize / NumAttentionHeads,
            VocabSize = vocab,
            RmsNormEps = 1e-5,
            MaxPositionEmbeddings = MaxPositionEmbeddings,
            TieWordEmbeddings = TieWordEmbeddings,
            BosTokenId = bosTokenId,
            EosTokenIds = eosTokenId is { } eos ? [eos] : [],
            PadTokenId = padTokenId,
            TorchDtype = "float32",
        };
        // Round-trips through config.json so a preset gets the same validation as a downloaded model.
        return ModelConfig.Parse(ModelConfig.ForFamily(config, Family).ToJson(), $"preset '{Name}'");
    }
}

/// <summary>Named model sizes for <c>simper init</c>.</summary>
public static class ModelPresets
{
    /// <summary>A model small enough to train in seconds on a CPU: for tests, demos and smoke runs.</summary>
    public static ModelPreset Tiny { get; } = new("tiny", HiddenSize: 64, NumHiddenLayers: 2, NumAttentionHeads: 4,
        NumKeyValueHeads: 2, IntermediateSize: 176, MaxPositionEmbeddings: 512, TieWordEmbeddings: false);

    /// <summary>About 26 million parameters with an 8192-token vocabulary and an untied head: a throughput benchmark size.</summary>
    public static ModelPreset Bench26M { get; } = new("bench-26m", HiddenSize: 512, NumHiddenLayers: 6, NumAttentionHeads: 8,
        NumKeyValueHeads: 4, IntermediateSize: 1376, MaxPositionEmbeddings: 512, TieWordEmbeddings: false, VocabSize: 8192);

    public static IReadOnlyList<ModelPreset> All { get; } = [Tiny, Bench26M];

    public static IReadOnlyList<string> Names { get; } = All.Select(p => p.Name).ToArray();

    public static ModelPreset Find(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new SimperException($"--preset {name}: unknown preset; expected one of {string.Join(", ", Names)}");
}
