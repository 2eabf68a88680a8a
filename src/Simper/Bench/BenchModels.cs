using Simper.Checkpoints;
using Simper.Lora;
using Simper.Models;
using static TorchSharp.torch;

namespace Simper.Bench;

/// <summary>The models a benchmark run trains: the policy and, for reference-based methods, a frozen copy of it.</summary>
public static class BenchModels
{
    /// <summary>Pad id of a preset model: id 0, which random benchmark tokens never use.</summary>
    public const int PresetPadId = 0;

    /// <summary>
    /// The model of <paramref name="settings"/> in its dtype. A preset is created in float32 from the seed and then
    /// cast, so float32 and bfloat16 runs start from the same weights; a second call gives the same weights again.
    /// </summary>
    public static LlamaForCausalLM Create(BenchSettings settings)
    {
        var model = Load(settings);
        model.Kernels = settings.Kernels;
        return model;
    }

    private static LlamaForCausalLM Load(BenchSettings settings)
    {
        if (settings.ModelDir is { } dir) return PretrainedModel.Load(dir, settings.Dtype, settings.Device).Model;
        var config = settings.Preset.ToConfig(settings.VocabSize, bosTokenId: 1, eosTokenId: 2, padTokenId: PresetPadId);
        var full = ModelFactory.CreateRandom(config, settings.Seed, settings.Device);
        if (settings.Dtype == ScalarType.Float32) return full;
        using (full)
        {
            var cast = new LlamaForCausalLM(config, settings.Device, settings.Dtype);
            using var noGrad = no_grad();
            var source = full.state_dict();
            foreach (var (name, target) in cast.state_dict()) target.copy_(source[name]);
            return cast;
        }
    }

    /// <summary>
    /// For a low-precision run, the float32 weights its model was rounded from (a preset's seed weights, or the model
    /// folder loaded in float32), to start the float32 master weights from the same values the float32 run starts
    /// from; null when the run is float32 or float64 and has no masters.
    /// </summary>
    public static LlamaForCausalLM? FullPrecisionStart(BenchSettings settings)
    {
        if (settings.Dtype is ScalarType.Float32 or ScalarType.Float64) return null;
        return Create(settings with { Dtype = ScalarType.Float32 });
    }

    /// <summary>Attaches rank-<paramref name="rank"/> adapters to every linear projection, without dropout.</summary>
    public static void ApplyLora(LlamaForCausalLM model, int rank) =>
        LoraModel.Apply(model, new LoraConfig { Rank = rank, Alpha = 2 * rank, Dropout = 0, TargetModules = [LoraConfig.AllLinear] });

    /// <summary>Bytes held by the model's parameters.</summary>
    public static long ParameterBytes(LlamaForCausalLM model) =>
        model.parameters().Sum(p => p.numel() * p.element_size());

    /// <summary>The pad id of the model's config, else its first EOS id, else 0 (padding is masked out either way).</summary>
    public static int PadId(LlamaForCausalLM model) => model.Config.PaddingId;
}
