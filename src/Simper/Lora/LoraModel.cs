using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Lora;

/// <summary>Trainable and total parameter counts of a model (tied weights counted once).</summary>
public sealed record ParameterCounts(long Trainable, long Total)
{
    public double TrainablePercent => Total == 0 ? 0 : 100.0 * Trainable / Total;
    public override string ToString() => $"trainable params: {Trainable:N0} || all params: {Total:N0} || trainable%: {TrainablePercent:F4}";
}

/// <summary>
/// Low-rank adaptation of a <see cref="LlamaForCausalLM"/> in place: adapters are attached to the targeted
/// projections, every base parameter is frozen, and the base weights keep their Hugging Face names throughout.
/// </summary>
public static class LoraModel
{
    /// <summary>
    /// Attaches a fresh adapter to every projection <paramref name="config"/> targets and freezes all other
    /// parameters (embeddings, norms, head, base weights and biases). The adapted model initially computes exactly
    /// what the base model computes. Returns the adapted modules' names.
    /// </summary>
    public static IReadOnlyList<string> Apply(LlamaForCausalLM model, LoraConfig config)
    {
        var targets = TargetLayers(model, config, "lora");
        foreach (var parameter in model.parameters()) parameter.requires_grad = false;
        foreach (var (_, layer) in targets) layer.AttachAdapter(config.Rank, config.Alpha, config.Dropout);
        return targets.Select(t => t.Name).ToList();
    }

    /// <summary>The layers <paramref name="config"/> selects, or a one-line error naming <paramref name="source"/>.</summary>
    internal static IReadOnlyList<(string Name, AdaptableLinear Layer)> TargetLayers(LlamaForCausalLM model, LoraConfig config, string source)
    {
        var layers = Layers(model).ToList();
        config = config.ForModel(model.Config);
        CheckTargets(layers.Select(l => l.Name), config, source);
        if (layers.Any(l => l.Layer.HasAdapter)) throw new InvalidOperationException("the model already carries LoRA adapters; merge or remove them first");
        return layers.Where(l => config.Targets(l.Name)).ToList();
    }

    /// <summary>Validates <paramref name="config"/> and that each of its targets names one of <paramref name="projections"/>.</summary>
    internal static void CheckTargets(IEnumerable<string> projections, LoraConfig config, string source)
    {
        config.Validate(source);
        var names = projections.ToList();
        foreach (var target in config.ExpandedTargets)
            if (!names.Any(name => LoraConfig.Matches(name, target)))
                throw new SimperException($"{source}: target module \"{target}\" matches no projection of the model; " +
                    $"expected any of {string.Join(", ", config.LinearProjections)}, or {LoraConfig.AllLinear}");
    }

    /// <summary>Every projection that can carry an adapter, with its full module name.</summary>
    public static IEnumerable<(string Name, AdaptableLinear Layer)> Layers(LlamaForCausalLM model) =>
        model.named_modules().Where(m => m.module is AdaptableLinear).Select(m => (m.name, (AdaptableLinear)m.module));

    /// <summary>The projections that currently carry an adapter.</summary>
    public static IReadOnlyList<(string Name, AdaptableLinear Layer)> Adapted(LlamaForCausalLM model) =>
        Layers(model).Where(l => l.Layer.HasAdapter).ToList();

    /// <summary>
    /// Bypasses every adapter until the returned scope is disposed, so the model computes its base function: the
    /// reference model of preference objectives without a second copy of the weights. Scopes nest.
    /// </summary>
    public static IDisposable DisableAdapters(LlamaForCausalLM model)
    {
        var adapted = Adapted(model);
        if (adapted.Count == 0) throw new InvalidOperationException("the model carries no LoRA adapters to disable");
        var switchedOff = adapted.Select(a => a.Layer).Where(l => l.AdapterEnabled).ToList();
        foreach (var layer in switchedOff) layer.AdapterEnabled = false;
        return new AdapterScope(switchedOff);
    }

    private sealed class AdapterScope(IReadOnlyList<AdaptableLinear> layers) : IDisposable
    {
        private bool disposed;

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            foreach (var layer in layers) layer.AdapterEnabled = true;
        }
    }

    /// <summary>
    /// Folds every adapter into its base weight (W += alpha/r · B A) and removes the adapters, leaving a plain model
    /// whose state_dict holds only the Hugging Face keys, ready for <see cref="Checkpoints.PretrainedModel.Save"/>.
    /// Base parameters stay frozen.
    /// </summary>
    public static void Merge(LlamaForCausalLM model)
    {
        var adapted = Adapted(model);
        if (adapted.Count == 0) throw new InvalidOperationException("the model carries no LoRA adapters to merge");
        foreach (var (_, layer) in adapted) layer.MergeAdapter();
    }

    /// <summary>Writes the adapters in PEFT's layout (adapter_config.json + adapter_model.safetensors).</summary>
    public static void SaveAdapter(LlamaForCausalLM model, LoraConfig config, string dir, string? baseModelPath) =>
        PeftAdapterFiles.Save(model, config, dir, baseModelPath);

    /// <summary>Reads a PEFT LoRA adapter folder, attaches its adapters to the model and loads their weights. Returns its config.</summary>
    public static LoraConfig LoadAdapter(LlamaForCausalLM model, string dir) => PeftAdapterFiles.Load(model, dir);

    /// <summary>Counts parameters that require gradients against all parameters, as PEFT's print_trainable_parameters.</summary>
    public static ParameterCounts CountParameters(nn.Module model)
    {
        long trainable = 0, total = 0;
        foreach (var parameter in model.parameters())
        {
            total += parameter.numel();
            if (parameter.requires_grad) trainable += parameter.numel();
        }
        return new ParameterCounts(trainable, total);
    }
}
