using System.Text.Json;
using Simper.Checkpoints;
using Simper.Lora;
using Simper.Models;
using Simper.Scoring;
using Simper.Training;
using Simper.Training.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Training;

/// <summary>
/// The speed and memory options of training leave the maths alone: packed layouts and gradient checkpointing give
/// the padded run's losses and gradient norms, LoRA trains only its adapters against the untouched base and resumes
/// bit for bit, and bfloat16 with float32 master weights tracks a float32 run.
/// </summary>
/// <remarks>
/// LoRA dropout draws from libtorch's process-wide generator, so these runs are exact only while no other test draws
/// from it at the same time: the class runs alone.
/// </remarks>
[Collection(nameof(PerfTrainingTests))]
public class PerfTrainingTests
{
    [Fact]
    public void DefaultPackingGivesThePaddedRunsLossAndGradientNorm()
    {
        using var temp = new TempFolder();
        var (model, data) = Inputs(temp);

        var padded = Train(model, data, temp.File("padded"), s => { s.MaxSteps = 3; s.Packing = PairPacking.Padded; });
        var packed = Train(model, data, temp.File("packed"), s => s.MaxSteps = 3);

        Assert.Equal(PairPacking.SharedPromptPaddingFree, new TrainingSettings().Packing);
        AssertClose(padded, packed, 1e-5);
    }

    [Fact]
    public void GradientCheckpointingGivesTheSameRun()
    {
        using var temp = new TempFolder();
        var (model, data) = Inputs(temp);

        var plain = Train(model, data, temp.File("plain"), _ => { });
        var checkpointed = Train(model, data, temp.File("checkpointed"), s => s.GradientCheckpointing = true);

        AssertClose(plain, checkpointed, 1e-5);
    }

    [Fact]
    public void GradientCheckpointingReplaysLoraDropoutWithTheForwardsMasks()
    {
        using var temp = new TempFolder();
        var (model, data) = Inputs(temp);
        Action<TrainingSettings> lora = s => { Lora(s); s.LoraDropout = 0.5; };

        var plain = Train(model, data, temp.File("plain"), lora);
        var checkpointed = Train(model, data, temp.File("checkpointed"), s => { lora(s); s.GradientCheckpointing = true; });

        AssertClose(plain, checkpointed, 1e-5);
    }

    [Fact]
    public void PolicyBaseReferenceScoresWithAdaptersBypassedAndRestoresThem()
    {
        using var temp = new TempFolder();
        var (modelPath, _) = Inputs(temp);
        var (policy, _) = PretrainedModel.Load(modelPath, torch.ScalarType.Float32, torch.CPU);
        var (plain, _) = PretrainedModel.Load(modelPath, torch.ScalarType.Float32, torch.CPU);
        LoraModel.Apply(policy, new LoraConfig { Rank = 2, Dropout = 0 });
        using (torch.no_grad())
            foreach (var (_, layer) in LoraModel.Adapted(policy)) layer.lora_B!.weight!.fill_(0.05); // a non-trivial adapter
        List<(int[], int[], int[])> pairs = [([5, 6, 7], [8, 9], [10]), ([11], [12, 13, 14], [15, 16])];

        var reference = ReferenceLogProbs.FromPolicyBase.PairSums(policy, pairs, PairPacking.SharedPromptPaddingFree, 0, () => []);
        using var expected = PairForward.Score(plain, pairs, PairPacking.Padded, 0);
        using var adapted = PairForward.Score(policy, pairs, PairPacking.Padded, 0);

        Assert.True(torch.allclose(reference, torch.cat([expected.ChosenSum, expected.RejectedSum]), rtol: 1e-5, atol: 1e-5));
        Assert.False(reference.requires_grad);
        Assert.True(LoraModel.Adapted(policy).All(a => a.Layer.AdapterEnabled));
        Assert.False(torch.allclose(adapted.ChosenSum, expected.ChosenSum, rtol: 1e-3, atol: 1e-3));
    }

    [Fact]
    public void LoraDpoUsesTheBaseAsReferenceTrainsOnlyAdaptersAndSavesAdapterAndMergedModel()
    {
        using var temp = new TempFolder();
        var (model, data) = Inputs(temp);
        var run = temp.File("lora");

        Train(model, data, run, Lora);

        // The adapters start at B = 0, so the first step's policy is the base itself: DPO's loss is exactly ln 2.
        var first = MetricsLog.Read(Path.Combine(run, MetricsLog.FileName))[0];
        Assert.Equal(Math.Log(2), first[MetricNames.Loss]!.Value, 1e-6);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "adapter", PeftAdapterFiles.ConfigFile))))
        {
            Assert.Equal(4, config.RootElement.GetProperty("r").GetInt32());
            Assert.Equal(["q_proj", "v_proj"], config.RootElement.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()).Order());
        }
        Assert.True(File.Exists(Path.Combine(run, "checkpoint-4", PeftAdapterFiles.WeightsFile)));
        Assert.False(File.Exists(Path.Combine(run, "checkpoint-4", PretrainedModel.WeightsFile)));

        using var reader = SafetensorsReader.Open(Path.Combine(run, PretrainedModel.WeightsFile));
        using var baseReader = SafetensorsReader.Open(Path.Combine(model, PretrainedModel.WeightsFile));
        Assert.DoesNotContain(reader.Entries.Keys, k => k.Contains("lora"));
        bool Same(string key) => baseReader.Read(key).equal(reader.Read(key)).all().item<bool>();
        Assert.True(Same("model.layers.0.self_attn.k_proj.weight"));
        Assert.True(Same("model.embed_tokens.weight"));
        Assert.False(Same("model.layers.0.self_attn.q_proj.weight"));

        // The merged model equals the base with the saved adapter attached.
        var (merged, _) = PretrainedModel.Load(run, torch.ScalarType.Float32, torch.CPU);
        var (adapted, _) = PretrainedModel.Load(model, torch.ScalarType.Float32, torch.CPU);
        LoraModel.LoadAdapter(adapted, Path.Combine(run, "adapter"));
        adapted.eval();
        merged.eval();
        using (torch.no_grad())
        {
            var ids = torch.tensor(new long[] { 1, 70, 80, 90, 33, 44 }).unsqueeze(0);
            Assert.True(torch.allclose(merged.forward(ids), adapted.forward(ids), rtol: 1e-4, atol: 1e-5));
        }
    }

    [Fact]
    public void LoraRunResumedFromACheckpointEndsBitForBitAsTheUninterruptedRun()
    {
        using var temp = new TempFolder();
        var (model, data) = Inputs(temp);
        var run = temp.File("lora");
        Train(model, data, run, Lora);
        var weights = File.ReadAllBytes(Path.Combine(run, PretrainedModel.WeightsFile));
        var adapter = File.ReadAllBytes(Path.Combine(run, "adapter", PeftAdapterFiles.WeightsFile));
        var metrics = File.ReadAllText(Path.Combine(run, MetricsLog.FileName));

        Train(model, data, run, Lora, resume: "checkpoint-2");

        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(run, PretrainedModel.WeightsFile)));
        Assert.Equal(adapter, File.ReadAllBytes(Path.Combine(run, "adapter", PeftAdapterFiles.WeightsFile)));
        Assert.Equal(metrics, File.ReadAllText(Path.Combine(run, MetricsLog.FileName)));
    }

    [Fact]
    public void Bfloat16WithFloat32MastersTracksAFloat32Run()
    {
        using var temp = new TempFolder();
        var (model, data) = Inputs(temp);

        var full = Train(model, data, temp.File("float32"), s => s.MaxSteps = 20);
        var half = Train(model, data, temp.File("bfloat16"), s => { s.MaxSteps = 20; s.DType = torch.ScalarType.BFloat16; });

        Assert.True(Math.Abs(full.Loss - half.Loss) < 1e-2, $"final loss float32 {full.Loss} vs bfloat16 {half.Loss}");
        Assert.True(File.Exists(Path.Combine(temp.File("bfloat16"), "checkpoint-20", MasterWeights.FileName)));
    }

    [Fact]
    public void Bfloat16MastersStartFromTheFloat32Checkpoint()
    {
        using var temp = new TempFolder();
        var (model, data) = Inputs(temp);
        var run = temp.File("bf16");
        // Step 1 is the warm-up's first, at learning rate 0: the masters it saves are where they started.
        Train(model, data, run, s => { s.DType = torch.ScalarType.BFloat16; s.MaxSteps = 1; s.SaveSteps = 1; });
        using var saved = SafetensorsReader.Open(Path.Combine(run, "checkpoint-1", MasterWeights.FileName));
        using var original = SafetensorsReader.Open(Path.Combine(model, PretrainedModel.WeightsFile));
        var lowBits = 0;
        foreach (var name in saved.Entries.Keys)
        {
            using var master = saved.Read(name);
            using var start = original.Read(name);
            Assert.Equal(ScalarType.Float32, start.dtype);
            Assert.True(master.equal(start).all().item<bool>(), $"{name}: the master is not the checkpoint's float32 value");
            using var rounded = start.to(ScalarType.BFloat16).to(ScalarType.Float32);
            if (!rounded.equal(start).all().item<bool>()) lowBits++;
        }
        Assert.Equal(original.Entries.Count, saved.Entries.Count);
        Assert.True(lowBits > 0, "no weight had bits below bfloat16's precision, so the test shows nothing");
    }

    [Fact]
    public void Bfloat16RunResumesBitForBitFromItsMasterWeights()
    {
        using var temp = new TempFolder();
        var (model, data) = Inputs(temp);
        var run = temp.File("bf16");
        Action<TrainingSettings> bf16 = s => s.DType = torch.ScalarType.BFloat16;
        Train(model, data, run, bf16);
        var weights = File.ReadAllBytes(Path.Combine(run, PretrainedModel.WeightsFile));
        var metrics = File.ReadAllText(Path.Combine(run, MetricsLog.FileName));

        Train(model, data, run, bf16, resume: "checkpoint-2");

        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(run, PretrainedModel.WeightsFile)));
        Assert.Equal(metrics, File.ReadAllText(Path.Combine(run, MetricsLog.FileName)));
    }

    private static void Lora(TrainingSettings s)
    {
        s.Method = "dpo";
        s.LoraRank = 4;
        s.LearningRate = 1e-2;
    }

    private readonly record struct Final(double Loss, double GradNorm);

    private static (string Model, string Data) Inputs(TempFolder temp)
    {
        RandomModelFolder.Create(temp.File("model"), ModelPresets.Tiny, seed: 3);
        // Prompts and responses of different lengths, so padded rows carry real padding.
        File.WriteAllLines(temp.File("pairs.jsonl"), Enumerable.Range(1, 8).Select(i =>
            $"{{\"prompt\": \"{new string('q', i)}? \", \"chosen\": \"yes {new string('y', 9 - i)}\", \"rejected\": \"no {i}\"}}"));
        return (temp.File("model"), temp.File("pairs.jsonl"));
    }

    /// <summary>A few steps of two pairs each, every step logged; returns the last step's loss and gradient norm.</summary>
    private static Final Train(string model, string data, string output, Action<TrainingSettings> adjust, string? resume = null)
    {
        var settings = new TrainingSettings
        {
            BatchSize = 2, GradientAccumulationSteps = 1, MaxSteps = 4, LearningRate = 1e-3, LoggingSteps = 1, SaveSteps = 2,
            SaveTotalLimit = 0, Threads = 1, MaxLength = 64, MaxPromptLength = 32, WarmupSteps = 1,
        };
        adjust(settings);
        new TrainingJob { Model = ModelFolder.Open(model), DataPath = data, OutputPath = output, Settings = settings, Resume = resume }
            .Run(new TextProgressSink(TextWriter.Null), TextWriter.Null);
        var last = MetricsLog.Read(Path.Combine(output, MetricsLog.FileName))[^1];
        return new Final(last[MetricNames.Loss]!.Value, last[MetricNames.GradNorm]!.Value);
    }

    private static void AssertClose(Final expected, Final actual, double relative)
    {
        Assert.True(Math.Abs(expected.Loss - actual.Loss) <= relative * Math.Abs(expected.Loss), $"loss {expected.Loss} vs {actual.Loss}");
        Assert.True(Math.Abs(expected.GradNorm - actual.GradNorm) <= relative * Math.Abs(expected.GradNorm), $"grad_norm {expected.GradNorm} vs {actual.GradNorm}");
    }
}

[CollectionDefinition(nameof(PerfTrainingTests), DisableParallelization = true)]
public class PerfTrainingCollection;
