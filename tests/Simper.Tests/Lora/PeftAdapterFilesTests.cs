using System.Text.Json.Nodes;
using Simper.Checkpoints;
using Simper.Lora;
using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;
using static Simper.Tests.Lora.LoraTestModels;

namespace Simper.Tests.Lora;

public class PeftAdapterFilesTests
{
    private static readonly LoraConfig Config = new() { Rank = 8, Alpha = 16, Dropout = 0.05, TargetModules = ["q_proj", "v_proj"] };

    [Fact]
    public void AdapterConfigJsonIsWhatPeftWrites()
    {
        const string expected = """
            {
              "alpha_pattern": {},
              "auto_mapping": null,
              "base_model_name_or_path": "org/base-model",
              "bias": "none",
              "fan_in_fan_out": false,
              "inference_mode": true,
              "init_lora_weights": true,
              "layer_replication": null,
              "layers_pattern": null,
              "layers_to_transform": null,
              "loftq_config": {},
              "lora_alpha": 16,
              "lora_dropout": 0.05,
              "megatron_config": null,
              "megatron_core": "megatron.core",
              "modules_to_save": null,
              "peft_type": "LORA",
              "r": 8,
              "rank_pattern": {},
              "revision": null,
              "target_modules": [
                "q_proj",
                "v_proj"
              ],
              "task_type": "CAUSAL_LM",
              "use_dora": false,
              "use_rslora": false
            }

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), PeftAdapterFiles.ConfigJson(Config, "org/base-model"));

        // "all-linear" is recorded as the projections it stands for, as PEFT records it; a fractional alpha stays a number.
        var all = JsonNode.Parse(PeftAdapterFiles.ConfigJson(Config with { Alpha = 7.5, TargetModules = ["all-linear"] }, null))!;
        Assert.Equal("""["q_proj","k_proj","v_proj","o_proj","gate_proj","up_proj","down_proj"]""", all["target_modules"]!.ToJsonString());
        Assert.Equal(7.5, all["lora_alpha"]!.GetValue<double>());
        Assert.Null(all["base_model_name_or_path"]);
    }

    [Fact]
    public void SaveAdapterThenLoadAdapterIsBitExact()
    {
        using var temp = new TempFolder();
        using var model = ModelFactory.CreateRandom(LlamaTiny(), seed: 21);
        model.eval();
        LoraModel.Apply(model, Config);
        RandomizeAdapters(model, seed: 22);
        LoraModel.SaveAdapter(model, Config, temp.Path, "org/base-model");

        Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], Directory.GetFiles(temp.Path).Select(Path.GetFileName).Order());
        using (var reader = SafetensorsReader.Open(temp.File("adapter_model.safetensors")))
        {
            Assert.Equal(8, reader.Entries.Count); // q and v, A and B, two layers
            Assert.Equal([8L, 32], reader.Entries["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].Shape);
            Assert.Equal([32L, 8], reader.Entries["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"].Shape);
            Assert.Equal([16L, 8], reader.Entries["base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"].Shape); // 2 KV heads x 8
            Assert.Equal("pt", reader.Metadata["format"]);
        }

        using var fresh = ModelFactory.CreateRandom(LlamaTiny(), seed: 21);
        fresh.eval();
        var loadedConfig = LoraModel.LoadAdapter(fresh, temp.Path);
        Assert.Equal((8, 16.0, 0.05, "none"), (loadedConfig.Rank, loadedConfig.Alpha, loadedConfig.Dropout, loadedConfig.Bias));
        Assert.Equal(["q_proj", "v_proj"], loadedConfig.TargetModules);
        var saved = model.state_dict();
        var loaded = fresh.state_dict();
        Assert.Equal(saved.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, tensor) in saved) Assert.True(Identical(tensor, loaded[name]), name);
        using var noGrad = torch.no_grad();
        using var ids = Ids();
        using var expected = model.forward(ids);
        using var actual = fresh.forward(ids);
        Assert.True(Identical(expected, actual));
    }

    [Fact]
    public void MergedModelSavesAsAPlainCheckpointWithTheAdaptedLogits()
    {
        using var temp = new TempFolder();
        var config = LlamaTiny();
        using var model = ModelFactory.CreateRandom(config, seed: 23);
        model.eval();
        LoraModel.Apply(model, new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["all-linear"] });
        RandomizeAdapters(model, seed: 24);
        using var noGrad = torch.no_grad();
        using var ids = Ids();
        using var adapted = model.forward(ids);

        LoraModel.Merge(model);
        Assert.Empty(LoraModel.Adapted(model));
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("lora"));
        using var merged = model.forward(ids);
        Assert.True(MaxDifference(adapted, merged) < 1e-5);

        PretrainedModel.Save(model, config, temp.Path, ScalarType.Float32);
        using (var reader = SafetensorsReader.Open(temp.File("model.safetensors")))
        {
            Assert.DoesNotContain(reader.Entries.Keys, k => k.Contains("lora"));
            using var plain = new LlamaForCausalLM(config);
            Assert.Equal(plain.state_dict().Keys.Order(), reader.Entries.Keys.Order());
        }
        var (reloaded, _) = PretrainedModel.Load(temp.Path, ScalarType.Float32, torch.CPU);
        using var _ = reloaded;
        using var fromDisk = reloaded.forward(ids);
        Assert.True(MaxDifference(adapted, fromDisk) < 1e-5);
    }

    [Fact]
    public void UnsupportedPeftOptionsAreOneLineErrors()
    {
        using var temp = new TempFolder();
        using var model = ModelFactory.CreateRandom(LlamaTiny(), seed: 25);
        LoraModel.Apply(model, Config);
        LoraModel.SaveAdapter(model, Config, temp.Path, null);
        var configPath = temp.File("adapter_config.json");
        var original = File.ReadAllText(configPath);
        using var target = ModelFactory.CreateRandom(LlamaTiny(), seed: 25);

        File.WriteAllText(configPath, original.Replace("\"use_dora\": false", "\"use_dora\": true"));
        var dora = Assert.Throws<SimperException>(() => LoraModel.LoadAdapter(target, temp.Path));
        Assert.Equal($"{configPath}: field \"use_dora\" is true; expected false (not supported)", dora.Message);

        File.WriteAllText(configPath, original.Replace("\"r\": 8", "\"r\": 4"));
        var rank = Assert.Throws<SimperException>(() => LoraModel.LoadAdapter(target, temp.Path));
        Assert.Equal($"{temp.File("adapter_model.safetensors")}: tensor \"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight\" has shape [8, 32]; r 4 and the model imply [4, 32]", rank.Message);
        Assert.Empty(LoraModel.Adapted(target)); // a refused adapter leaves the model as it was
    }
}
