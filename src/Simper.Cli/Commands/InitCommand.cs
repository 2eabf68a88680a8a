using System.CommandLine;
using Simper.Checkpoints;
using Simper.Models;

namespace Simper.Cli.Commands;

/// <summary>`simper init`: a randomly initialised model (Llama unless --family) with the byte-level tokenizer, as a Hugging Face folder.</summary>
public static class InitCommand
{
    public static Command Create()
    {
        var output = CommonOptions.Output("Folder to create the model in");
        var preset = new Option<string>("--preset")
        {
            Description = $"Named size: {string.Join(", ", ModelPresets.Names)}; the size options below override it",
            DefaultValueFactory = _ => ModelPresets.Tiny.Name,
        };
        var hidden = Size("--hidden-size", "Hidden size", ModelPresets.Tiny.HiddenSize);
        var layers = Size("--layers", "Decoder layers", ModelPresets.Tiny.NumHiddenLayers);
        var heads = Size("--heads", "Attention heads", ModelPresets.Tiny.NumAttentionHeads);
        var kvHeads = Size("--kv-heads", "Key/value heads (grouped-query attention)", ModelPresets.Tiny.NumKeyValueHeads);
        var intermediate = Size("--intermediate-size", "MLP intermediate size", ModelPresets.Tiny.IntermediateSize);
        var maxPositions = Size("--max-positions", "Maximum sequence length", ModelPresets.Tiny.MaxPositionEmbeddings);
        var family = new Option<string>("--family")
        {
            Description = $"Model family (model_type): {ModelConfig.KnownTypes}",
            DefaultValueFactory = _ => "llama",
        };
        var tie = new Option<bool>("--tie-word-embeddings") { Description = "Share the embedding matrix with the output head" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the output folder if it is not empty" };
        var seed = CommonOptions.Seed();

        var command = new Command("init",
            "Create a randomly initialised model with a byte-level tokenizer. Example: simper init --output tiny-model");
        foreach (var option in new Option[] { output, preset, family, hidden, layers, heads, kvHeads, intermediate, maxPositions, tie, seed, overwrite })
            command.Options.Add(option);

        command.SetAction(parse =>
        {
            var basis = ModelPresets.Find(parse.GetValue(preset)!);
            var shape = basis with
            {
                HiddenSize = parse.GetValue(hidden) ?? basis.HiddenSize,
                NumHiddenLayers = parse.GetValue(layers) ?? basis.NumHiddenLayers,
                NumAttentionHeads = parse.GetValue(heads) ?? basis.NumAttentionHeads,
                NumKeyValueHeads = parse.GetValue(kvHeads) ?? basis.NumKeyValueHeads,
                IntermediateSize = parse.GetValue(intermediate) ?? basis.IntermediateSize,
                MaxPositionEmbeddings = parse.GetValue(maxPositions) ?? basis.MaxPositionEmbeddings,
                TieWordEmbeddings = basis.TieWordEmbeddings || parse.GetValue(tie),
                Family = parse.GetValue(family)!,
            };
            var dir = parse.GetValue(output)!;
            var config = RandomModelFolder.Create(dir, shape, parse.GetValue(seed), parse.GetValue(overwrite));
            Output.Log($"wrote {dir}: {config.Architecture}, {config.NumHiddenLayers} layers, hidden {config.HiddenSize}, {config.NumAttentionHeads} heads " +
                       $"({config.NumKeyValueHeads} key/value), vocabulary {config.VocabSize}");
            return 0;
        });
        return command;
    }

    // Nullable so that only the sizes the user gives override the preset.
    private static Option<int?> Size(string name, string description, int tinyDefault) =>
        new(name) { Description = $"{description} (tiny preset: {tinyDefault})" };
}
