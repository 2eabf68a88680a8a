using Simper.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Simper.Training;

/// <summary>
/// float32 master copies of a low-precision (bfloat16) model's trainable parameters, so AdamW's small updates are
/// not rounded away: the model runs forward and backward in its own dtype, its gradients move into the masters as
/// float32, the optimizer steps the masters, and the masters are copied (rounded) back into the model. Trainable
/// parameters the model already keeps in float32 (its norms' weights, see <see cref="Models.LlamaRMSNorm"/>) are
/// their own masters: the optimizer steps them in place.
/// </summary>
public sealed class MasterWeights : IDisposable
{
    /// <summary>The masters in a checkpoint, so a resumed run continues from the unrounded values.</summary>
    public const string FileName = "master_weights.safetensors";

    private readonly IReadOnlyList<(string Name, Parameter Model, Parameter Master)> _weights;

    private MasterWeights(IReadOnlyList<(string, Parameter, Parameter)> weights) => _weights = weights;

    /// <summary>What the optimizer steps: the float32 masters (float32 parameters themselves), in the order of the model's trainable parameters.</summary>
    public IReadOnlyList<Parameter> Parameters => _weights.Select(w => w.Master).ToList();

    /// <summary>
    /// Masters for the parameters that are neither float32 nor float64 (full-precision ones take part as they are);
    /// null when there are none. A master starts from the model's (rounded) value, or from <paramref name="start"/>'s value of the same name: the full-precision
    /// weights the low-precision model was cast from. Starting there matters: masters that sit exactly on the bfloat16
    /// grid hide every update smaller than half a grid step from the model (round-to-nearest keeps it where it was),
    /// which slows the first steps systematically, whereas masters with their original low bits move the rounded
    /// model as soon as they cross a rounding boundary, so the model follows them without lag on average.
    /// </summary>
    public static MasterWeights? For(IEnumerable<(string Name, Parameter Parameter)> trainable, IReadOnlyDictionary<string, Tensor>? start = null) =>
        For(trainable, start is null ? null : name => start.TryGetValue(name, out var full) ? full.alias() : null);

    /// <summary>
    /// As <see cref="For(IEnumerable{ValueTuple{string, Parameter}}, IReadOnlyDictionary{string, Tensor})"/>, with the
    /// start values read one at a time: <paramref name="start"/> returns a new tensor for a name (disposed once copied)
    /// or null to start that master from the model's value.
    /// </summary>
    public static MasterWeights? For(IEnumerable<(string Name, Parameter Parameter)> trainable, Func<string, Tensor?>? start)
    {
        var list = trainable.ToList();
        if (list.All(p => IsFullPrecision(p.Parameter))) return null;
        using var noGrad = no_grad();
        return new MasterWeights(list.Select(p =>
            (p.Name, p.Parameter, IsFullPrecision(p.Parameter) ? p.Parameter : new Parameter(StartValue(p.Name, p.Parameter, start)))).ToList());
    }

    /// <summary>The weights with a master of their own, a float32 copy of a low-precision parameter.</summary>
    private IEnumerable<(string Name, Parameter Model, Parameter Master)> Copies => _weights.Where(w => !ReferenceEquals(w.Model, w.Master));

    private static bool IsFullPrecision(Tensor t) => t.dtype is ScalarType.Float32 or ScalarType.Float64;

    /// <summary>A float32 copy of the start value on the model's device, which must round to exactly the model's value.</summary>
    private static Tensor StartValue(string name, Parameter model, Func<string, Tensor?>? start)
    {
        using var full = start?.Invoke(name);
        if (full is null) return model.detach().to(ScalarType.Float32).clone();
        using var scope = NewDisposeScope();
        var value = full.detach().to(model.device).to(ScalarType.Float32);
        if (!value.shape.SequenceEqual(model.shape) || !value.to(model.dtype).eq(model).all().item<bool>())
            throw new ArgumentException($"start value of {name} does not round to the model's weight", nameof(start));
        return value.clone().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Moves the model's accumulated gradients into the masters as float32 and drops the model's, ready for the next
    /// step. A parameter the step did not reach gets a zero gradient.
    /// </summary>
    public void MoveGradients()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (_, model, master) in Copies) // a float32 parameter keeps its own gradient
        {
            var grad = model.grad;
            master.grad = grad is null ? zeros_like(master) : grad.to(master.dtype);
            model.grad = null;
        }
    }

    /// <summary>Rounds the stepped masters into the model's parameters.</summary>
    public void CopyToModel()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (_, model, master) in Copies) model.copy_(master);
    }

    /// <summary>Writes the masters by parameter name (inside a checkpoint's staging folder, so no atomic write is needed).</summary>
    public void Save(string path) => SafetensorsWriter.Write(path, _weights.Select(w => (w.Name, (Tensor)w.Master)).ToList());

    /// <summary>Restores masters saved by <see cref="Save"/> over the same parameters, and the model from them.</summary>
    public void Load(string path)
    {
        if (!File.Exists(path)) throw new SimperException($"{path}: float32 master weights not found; the checkpoint was not saved by a bfloat16 run");
        using var reader = SafetensorsReader.Open(path);
        using (var noGrad = no_grad())
            foreach (var (name, _, master) in _weights)
            {
                if (!reader.Entries.ContainsKey(name)) throw new SimperException($"{path}: no master weight {name}; the checkpoint belongs to another model");
                using var saved = reader.Read(name);
                master.copy_(saved);
            }
        CopyToModel();
    }

    public void Dispose()
    {
        foreach (var (_, _, master) in Copies) master.Dispose(); // a float32 parameter belongs to the model
    }
}
