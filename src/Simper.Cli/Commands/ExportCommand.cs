using System.CommandLine;
using Simper.Export;

namespace Simper.Cli.Commands;

/// <summary>`simper export`: a model folder (or a LoRA adapter) as a GGUF file for llama.cpp, LLamaSharp and Ollama.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model("Model folder in Hugging Face layout; with --adapter, the base model the adapter was trained on");
        model.Required = true;
        var output = CommonOptions.Output("GGUF file to write");
        var type = new Option<string>("--type")
        {
            Description = $"Weight type: {string.Join(", ", GgufExportType.All.Select(t => t.Name))} (quantized types by llama.cpp's quantizer)",
            DefaultValueFactory = _ => "f16",
        };
        var adapter = new Option<string?>("--adapter") { Description = "A PEFT LoRA adapter folder to write as a GGUF LoRA adapter (always F32)" };
        var command = new Command("export",
            "Write a model as GGUF for llama.cpp, LLamaSharp and Ollama. Example: simper export --model out --output out.gguf --type q8_0");
        foreach (var option in new Option[] { model, output, type, adapter }) command.Options.Add(option);

        command.SetAction(parse =>
        {
            var exportType = GgufExportType.Parse(parse.GetValue(type)!);
            var path = parse.GetValue(output)!;
            if (parse.GetValue(adapter) is { } adapterDir)
            {
                if (exportType.Name != "f32" && parse.GetResult(type) is { Implicit: false })
                    throw new SimperException($"--type: a LoRA adapter is written as f32; \"{exportType.Name}\" does not apply");
                GgufLoraExport.Write(adapterDir, parse.GetValue(model)!, path);
                Output.Log($"wrote {path} (LoRA adapter)");
                return 0;
            }
            GgufExport.Model(parse.GetValue(model)!, path, exportType);
            return 0;
        });
        return command;
    }
}
