using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;

namespace Simper.Training;

/// <summary>
/// The random-number generator state a resumed run needs to continue exactly: libtorch's default CPU generator
/// (dropout, sampling) as the bytes of <c>torch.random.get_rng_state()</c>.
/// </summary>
public sealed class RngState
{
    [JsonPropertyName("torch_cpu")]
    public byte[] TorchCpu { get; set; } = [];

    public static RngState Capture()
    {
        using var state = torch.random.get_rng_state();
        return new RngState { TorchCpu = state.bytes.ToArray() };
    }

    public void Restore()
    {
        if (TorchCpu.Length == 0) throw new SimperException("the saved random-number state is empty");
        using var state = torch.tensor(TorchCpu, torch.uint8);
        torch.random.set_rng_state(state);
    }
}

/// <summary>
/// Where a run stands, saved with each checkpoint as <c>trainer_state.json</c> (snake_case keys like Hugging Face's
/// file of that name): the step, the epoch, the data order and position, the best evaluation metric so far and the
/// random-number state.
/// </summary>
public sealed class TrainerState
{
    public const string FileName = "trainer_state.json";

    [JsonPropertyName("global_step")] public int GlobalStep { get; set; }
    /// <summary>Fractional epochs completed, as Hugging Face logs them.</summary>
    [JsonPropertyName("epoch")] public double Epoch { get; set; }
    [JsonPropertyName("max_steps")] public int MaxSteps { get; set; }
    /// <summary>The seed of the current epoch's shuffle, so the same order is rebuilt on resume.</summary>
    [JsonPropertyName("data_seed")] public int DataSeed { get; set; }
    /// <summary>Examples of the current epoch's order already consumed.</summary>
    [JsonPropertyName("data_position")] public int DataPosition { get; set; }
    [JsonPropertyName("best_metric")] public double? BestMetric { get; set; }
    [JsonPropertyName("best_model_checkpoint")] public string? BestModelCheckpoint { get; set; }
    /// <summary>Rank 0's generator state (the lone process's).</summary>
    [JsonPropertyName("rng_state")] public RngState Rng { get; set; } = new();
    /// <summary>The generator states of ranks 1 .. N − 1 of a data-parallel run.</summary>
    [JsonPropertyName("rank_rng_states")] public List<RngState>? RankRngStates { get; set; }
    /// <summary>Ranks that trained the run, and its global batch (batch size × gradient accumulation × ranks), which
    /// a resumed run must keep: it fixes which examples each step takes.</summary>
    [JsonPropertyName("world_size")] public int? WorldSize { get; set; }
    [JsonPropertyName("global_batch_size")] public int? GlobalBatchSize { get; set; }
    /// <summary>Steps skipped so far because their loss or gradient was not finite, and how many of the last ones in a row.</summary>
    [JsonPropertyName("skipped_steps")] public int SkippedSteps { get; set; }
    [JsonPropertyName("non_finite_in_row")] public int NonFiniteInRow { get; set; }
    /// <summary>
    /// Metric sums and weights of the steps since the last logged line ([sum, weight] by name), so a run resumed
    /// between two logging steps writes the same averages as an uninterrupted one.
    /// </summary>
    [JsonPropertyName("log_window")] public Dictionary<string, double[]>? LogWindow { get; set; }

    // Named literals let a non-finite loss in the logging window round-trip.
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public void Save(string path) => AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, this, Json));

    public static TrainerState Load(string path)
    {
        if (!File.Exists(path)) throw new SimperException($"{path}: trainer state not found");
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<TrainerState>(stream, Json)
                   ?? throw new SimperException($"{path}: expected a JSON object, found null");
        }
        catch (JsonException e)
        {
            throw new SimperException($"{path}:{e.LineNumber + 1}: {e.Path}: not a valid trainer state ({e.Message})", e);
        }
    }
}

/// <summary>
/// Saves and restores an optimizer's state (AdamW's step counts and moment estimates, and each parameter group's
/// options) with TorchSharp's own format (<c>OptimizerHelper.save_state_dict</c>), which PyTorch cannot read.
/// </summary>
public static class OptimizerCheckpoint
{
    public const string FileName = "optimizer.bin";

    public static void Save(TorchSharp.Modules.OptimizerHelper optimizer, string path) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            optimizer.save_state_dict(writer);
        });

    /// <summary>Loads into an optimizer built over the same parameters, in the same order, as the saved one.</summary>
    public static void Load(TorchSharp.Modules.OptimizerHelper optimizer, string path)
    {
        if (!File.Exists(path)) throw new SimperException($"{path}: optimizer state not found");
        try
        {
            optimizer.load_state_dict(path);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or EndOfStreamException)
        {
            throw new SimperException($"{path}: optimizer state does not match this model and optimizer ({e.Message})", e);
        }
    }
}
