namespace Simper.Lora;

/// <summary>
/// LoRA hyper-parameters with PEFT's meaning and names (r, lora_alpha, lora_dropout, target_modules, bias).
/// Target modules are module names matched as PEFT matches a list: a module is adapted when its full name equals a
/// target or ends with "." + target, so "q_proj" adapts every layer's query projection. "all-linear" stands for all
/// the decoder's projections, as the family names them (the output head is never adapted, as in PEFT).
/// </summary>
public sealed record LoraConfig
{
    public const string AllLinear = "all-linear";

    /// <summary>
    /// The projections of a decoder layer that can carry an adapter, which "all-linear" stands for: Llama's seven
    /// unless <see cref="ForModel"/> set the family's (Phi-3's fused qkv_proj and gate_up_proj).
    /// </summary>
    public IReadOnlyList<string> LinearProjections { get; init; } = Simper.Models.ModelConfig.SeparateLinearProjections;

    /// <summary>This configuration for a model of <paramref name="model"/>'s family: "all-linear" expands to its projections.</summary>
    public LoraConfig ForModel(Simper.Models.ModelConfig model) => this with { LinearProjections = model.LinearProjections };

    /// <summary>The rank r of the update B·A.</summary>
    public int Rank { get; init; } = 16;
    /// <summary>lora_alpha; the update is scaled by alpha / r.</summary>
    public double Alpha { get; init; } = 32;
    /// <summary>Dropout probability on the adapter's input during training.</summary>
    public double Dropout { get; init; } = 0.05;
    /// <summary>PEFT's default for Llama models: the query and value projections.</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = ["q_proj", "v_proj"];
    /// <summary>Only "none" is supported: biases stay frozen, so disabling the adapter gives back the base model exactly.</summary>
    public string Bias { get; init; } = "none";

    public double Scale => Alpha / Rank;

    /// <summary>The target names with "all-linear" expanded into the family's projections, as PEFT records them.</summary>
    public IReadOnlyList<string> ExpandedTargets =>
        TargetModules.Contains(AllLinear)
            ? LinearProjections.Concat(TargetModules.Where(t => t != AllLinear && !LinearProjections.Contains(t))).ToList()
            : TargetModules.Distinct().ToList();

    /// <summary>Whether the module called <paramref name="moduleName"/> (e.g. model.layers.0.self_attn.q_proj) is a target.</summary>
    public bool Targets(string moduleName) => ExpandedTargets.Any(t => Matches(moduleName, t));

    internal static bool Matches(string moduleName, string target) => moduleName == target || moduleName.EndsWith("." + target);

    /// <summary>Checks every field, naming <paramref name="source"/> (a file or "lora") in the one-line error.</summary>
    public void Validate(string source = "lora")
    {
        if (Rank < 1) throw new SimperException($"{source}: field \"r\" is {Rank}; expected a positive integer");
        if (!(Alpha > 0) || double.IsInfinity(Alpha)) throw new SimperException($"{source}: field \"lora_alpha\" is {Alpha}; expected a positive number");
        if (!(Dropout >= 0 && Dropout < 1)) throw new SimperException($"{source}: field \"lora_dropout\" is {Dropout}; expected a probability in [0, 1)");
        if (Bias != "none") throw new SimperException($"{source}: field \"bias\" is \"{Bias}\"; only \"none\" is supported");
        if (TargetModules.Count == 0) throw new SimperException($"{source}: field \"target_modules\" is empty; expected module names such as q_proj, v_proj, or {AllLinear}");
        if (TargetModules.Any(string.IsNullOrWhiteSpace))
            throw new SimperException($"{source}: field \"target_modules\" holds an empty name; expected module names such as q_proj, v_proj, or {AllLinear}");
    }
}
