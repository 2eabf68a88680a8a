using System.Text.Json;
using Simper.Checkpoints;
using Simper.Lora;
using Simper.Models;
using Simper.Scoring;
using Simper.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Families;

/// <summary>Each family as `simper init --family` creates it: its checkpoint names, save → load → save, and training with LoRA.</summary>
[Collection(nameof(FamilyModelTests))]
public class FamilyModelTests
{
    public static TheoryData<string> Families => ["llama", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3_text"];

    /// <summary>Layer 0's tensor names as transformers names them for each family.</summary>
    private static string[] LayerZero(string family) => family switch
    {
        "phi3" => ["self_attn.qkv_proj.weight", "self_attn.o_proj.weight", "mlp.gate_up_proj.weight", "mlp.down_proj.weight",
            "input_layernorm.weight", "post_attention_layernorm.weight"],
        _ => [
            "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight",
            "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight", "input_layernorm.weight", "post_attention_layernorm.weight",
            .. family == "qwen2" ? new[] { "self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias" } : [],
            .. family is "qwen3" or "gemma3_text" ? new[] { "self_attn.q_norm.weight", "self_attn.k_norm.weight" } : [],
            .. family.StartsWith("gemma") ? new[] { "pre_feedforward_layernorm.weight", "post_feedforward_layernorm.weight" } : [],
        ],
    };

    private static ModelPreset Small(string family) => ModelPresets.Tiny with { Family = family, HiddenSize = 32, IntermediateSize = 48, MaxPositionEmbeddings = 64 };

    [Theory]
    [MemberData(nameof(Families))]
    public void InitWritesTheFamilyUnderTransformersNamesAndSaveLoadSaveIsByteIdentical(string family)
    {
        using var temp = new TempFolder();
        var config = RandomModelFolder.Create(temp.File("a"), Small(family), seed: 4);
        Assert.Equal(family, config.ModelType);
        var (model, loaded) = PretrainedModel.Load(temp.File("a"), ScalarType.Float32, torch.CPU);
        using (model) PretrainedModel.Save(model, loaded, temp.File("b"), ScalarType.Float32);
        foreach (var file in new[] { PretrainedModel.ConfigFile, PretrainedModel.WeightsFile })
            Assert.Equal(File.ReadAllBytes(Path.Combine(temp.File("a"), file)), File.ReadAllBytes(Path.Combine(temp.File("b"), file)));
        using var reader = SafetensorsReader.Open(Path.Combine(temp.File("b"), PretrainedModel.WeightsFile));
        var layerZero = reader.Entries.Keys.Where(k => k.StartsWith("model.layers.0.")).Select(k => k["model.layers.0.".Length..]);
        Assert.Equal(LayerZero(family).Order(), layerZero.Order());
    }

    [SkippableTheory]
    [MemberData(nameof(FamilyFixtures.Kinds), MemberType = typeof(FamilyFixtures))]
    public void FixtureCheckpointsSaveBackUnderTheirOwnNamesAndConfig(string kind)
    {
        var folder = SharedData.Path("fixtures", $"parity-{kind}", "checkpoint");
        using var temp = new TempFolder();
        var (model, config) = PretrainedModel.Load(folder, ScalarType.Float32, torch.CPU);
        using (model) PretrainedModel.Save(model, config, temp.File("saved"), ScalarType.Float32);
        using var original = SafetensorsReader.Open(Path.Combine(folder, PretrainedModel.WeightsFile));
        using var saved = SafetensorsReader.Open(Path.Combine(temp.File("saved"), PretrainedModel.WeightsFile));
        Assert.Equal(original.Entries.Keys.Order(), saved.Entries.Keys.Order());
        foreach (var name in original.Entries.Keys)
        {
            using var a = original.Read(name);
            using var b = saved.Read(name);
            Assert.True(a.equal(b).all().item<bool>(), name);
        }
        var resaved = ModelConfig.Load(Path.Combine(temp.File("saved"), PretrainedModel.ConfigFile));
        Assert.Equal((config.SlidingWindow, config.UseSlidingWindow, config.PartialRotaryFactor), (resaved.SlidingWindow, resaved.UseSlidingWindow, resaved.PartialRotaryFactor));
        Assert.Equal((config.QueryPreAttnScalar, config.AttnLogitSoftcapping, config.FinalLogitSoftcapping, config.RopeLocalBaseFreq, config.LinearRopeFactor),
            (resaved.QueryPreAttnScalar, resaved.AttnLogitSoftcapping, resaved.FinalLogitSoftcapping, resaved.RopeLocalBaseFreq, resaved.LinearRopeFactor));
        Assert.Equal(Enumerable.Range(0, config.NumHiddenLayers).Select(config.WindowOf), Enumerable.Range(0, config.NumHiddenLayers).Select(resaved.WindowOf));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void AnInitModelTrainsWithLoraAllLinearInBfloat16WithCheckpointingAndNamesAdaptersAsPeft(string family)
    {
        using var temp = new TempFolder();
        RandomModelFolder.Create(temp.File("model"), Small(family) with { MaxPositionEmbeddings = 40 }, seed: 5);
        // Byte-level sequences of up to 31 tokens against Mistral's window of 40 / 2 = 20: the window cuts.
        File.WriteAllLines(temp.File("pairs.jsonl"), Enumerable.Range(1, 4).Select(i =>
            $"{{\"prompt\": \"{new string('q', 6 + i)}? \", \"chosen\": \"yes {new string('y', 9 + i)}\", \"rejected\": \"no {i}\"}}"));
        var settings = new TrainingSettings
        {
            BatchSize = 2, GradientAccumulationSteps = 1, MaxSteps = 2, LearningRate = 1e-2, LoggingSteps = 1, SaveSteps = 0,
            SaveTotalLimit = 0, Threads = 1, MaxLength = 40, MaxPromptLength = 20, WarmupSteps = 0,
        };
        settings.LoraRank = 4;
        settings.LoraTargetModules = LoraConfig.AllLinear;
        settings.DType = ScalarType.BFloat16;
        settings.GradientCheckpointing = true;
        settings.Packing = PairPacking.SharedPromptPaddingFree;
        var run = temp.File("run");
        new TrainingJob { Model = ModelFolder.Open(temp.File("model")), DataPath = temp.File("pairs.jsonl"), OutputPath = run, Settings = settings }
            .Run(new TextProgressSink(TextWriter.Null), TextWriter.Null);

        var logged = MetricsLog.Read(Path.Combine(run, MetricsLog.FileName));
        Assert.Equal(2, logged.Count);
        Assert.All(logged, step => Assert.True(step[MetricNames.GradNorm]!.Value is > 0 and < double.PositiveInfinity, $"grad_norm {step[MetricNames.GradNorm]}"));
        var adapter = Path.Combine(run, RunFolder.AdapterFolder);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json")));
        var projections = family == "phi3" ? ModelConfig.FusedLinearProjections : ModelConfig.SeparateLinearProjections;
        Assert.Equal(projections, json.RootElement.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()));
        using var weights = SafetensorsReader.Open(Path.Combine(adapter, "adapter_model.safetensors"));
        var layerZero = projections.Select(p => $"base_model.model.model.layers.0.{(p is "gate_proj" or "up_proj" or "down_proj" or "gate_up_proj" ? "mlp" : "self_attn")}.{p}.lora_A.weight");
        Assert.All(layerZero, key => Assert.Contains(key, weights.Entries.Keys));
        Assert.Equal(2 * projections.Count * 2, weights.Entries.Count); // A and B, every projection, two layers
    }
}

[CollectionDefinition(nameof(FamilyModelTests), DisableParallelization = true)]
public class FamilyModelCollection;
