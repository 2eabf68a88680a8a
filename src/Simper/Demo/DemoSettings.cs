using System.Globalization;
using Simper.Models;
using Simper.Objectives;

namespace Simper.Demo;

/// <summary>
/// Everything `simper demo` runs with. The defaults finish in about five minutes on two CPU cores; each is an option.
/// </summary>
public sealed record DemoSettings
{
    public int Seed { get; init; } = 42;
    /// <summary>Methods aligned from the SFT model: every method of the catalog by default, in its order, so the
    /// report compares SimPER with all of them and not with a chosen few.</summary>
    public IReadOnlyList<string> Methods { get; init; } = ObjectiveCatalog.Names;
    /// <summary>Alignment learning rates, the same for every method; the spread (33x) shows which methods need tuning.</summary>
    public IReadOnlyList<double> LearningRates { get; init; } = [3e-5, 1e-4, 1e-3];
    /// <summary>libtorch threads of the stages that run one at a time (SFT, sampling, scoring the SFT model).</summary>
    public int Threads { get; init; } = 2;
    /// <summary>Alignment runs (each trained and then scored, in processes of their own) side by side, one libtorch
    /// thread each; as many as <see cref="Threads"/> unless set. The results do not depend on it.</summary>
    public int? AlignRunsAtOnce { get; init; }
    public int RunsAtOnce => Math.Max(1, AlignRunsAtOnce ?? Threads);

    /// <summary>The base model: small enough to learn the five task families in a minute or two.</summary>
    public ModelPreset Model { get; init; } = new("demo", HiddenSize: 96, NumHiddenLayers: 3, NumAttentionHeads: 4,
        NumKeyValueHeads: 4, IntermediateSize: 256, MaxPositionEmbeddings: 64, TieWordEmbeddings: true);

    public DemoDataSettings Data { get; init; } = new();

    /// <summary>
    /// Supervised fine-tuning must teach the model each family's algorithm (the habit included) before alignment can
    /// fix the habit: with fewer steps, or a higher rate, addition and reversal come out as noise rather than as the
    /// habit, and no method can lift a family whose samples are rarely right. 9 epochs at 1e-3 are the fewest seen to
    /// learn all five families, which keeps the demo within five minutes; fewer epochs, or 3e-3, leave addition
    /// unlearned (docs/demo.md has the runs behind this).
    /// </summary>
    public double SftLearningRate { get; init; } = 1e-3;
    public double SftEpochs { get; init; } = 9;
    public int SftBatchSize { get; init; } = 64;

    /// <summary>Samples per prompt drawn from the SFT model (temperature 1) to build pairs from.</summary>
    public int SamplesPerPrompt { get; init; } = 4;
    public int MaxNewTokens { get; init; } = 16;

    public double AlignEpochs { get; init; } = 2;
    public int AlignBatchSize { get; init; } = 32;

    /// <summary>The settings shown in the report.</summary>
    public IReadOnlyDictionary<string, string> Describe() => new Dictionary<string, string>
    {
        ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
        ["model"] = $"Llama, hidden {Model.HiddenSize}, {Model.NumHiddenLayers} layers, {Model.NumAttentionHeads} heads, byte-level tokenizer",
        ["sft"] = $"{Data.SftExamplesPerFamily} demonstrations per family, {Data.HabitShare:P0} of those where the habit matters show it; lr {SftLearningRate:G3}, {SftEpochs} epochs, batch {SftBatchSize}",
        ["pairs"] = $"{Data.PairPromptsPerFamily} prompts per family x {SamplesPerPrompt} samples at temperature 1, right answer over wrong",
        ["alignment"] = $"{string.Join(", ", Methods)} at default hyperparameters; lr {string.Join(", ", LearningRates.Select(l => l.ToString("G3", CultureInfo.InvariantCulture)))}; {AlignEpochs} epochs, batch {AlignBatchSize}, cosine, 10% warmup",
        ["evaluation"] = $"greedy decoding of {Data.EvalPromptsPerFamily} held-out prompts per family, exact verifiers",
    };
}
