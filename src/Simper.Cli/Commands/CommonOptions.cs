using System.CommandLine;
using Simper.Objectives;
using Simper.Runtime;

namespace Simper.Cli.Commands;

/// <summary>Options that several commands share, so each is spelled and described once.</summary>
internal static class CommonOptions
{
    /// <summary>
    /// One option per hyperparameter name any objective declares (--beta, --lambda, ...), keyed by that name, described
    /// for each declaring method with its default.
    /// </summary>
    public static IReadOnlyDictionary<string, Option<double?>> Hyperparameters() =>
        ObjectiveCatalog.All.SelectMany(o => o.Hyperparameters.Select(h => (Method: o.Name, Hyperparameter: h)))
            .GroupBy(x => x.Hyperparameter.Name)
            .ToDictionary(g => g.Key, g => new Option<double?>($"--{g.Key}")
            {
                Description = string.Join("; ", g.Select(x => $"{x.Method}: {x.Hyperparameter.Help} (default {x.Hyperparameter.Default})")),
            });

    public static Option<string> Model(string description = "Model folder in Hugging Face layout (config.json, model.safetensors, tokenizer files)") =>
        new("--model") { Description = description, Required = true };

    public static Option<string> Device() => new("--device")
    {
        Description = "Where tensors live: cpu, or cuda with the TorchSharp-cuda package",
        DefaultValueFactory = _ => "cpu",
    };

    public static Option<string> Dtype(string fallback = "float32") => new("--dtype")
    {
        Description = $"Weight dtype: {string.Join(", ", TorchRuntime.DtypeNames)}",
        DefaultValueFactory = _ => fallback,
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "CPU threads for libtorch (0 = one per core; under mpirun, the cores divided by the ranks on the machine)",
        DefaultValueFactory = _ => 0,
    };

    public static Option<int> Seed() => new("--seed") { Description = "Random seed", DefaultValueFactory = _ => 42 };

    public static Option<string> Output(string description, bool required = true) =>
        new("--output") { Description = description, Required = required };
}
