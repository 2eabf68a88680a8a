using System.CommandLine;
using Simper.Checkpoints;
using Simper.Models;
using Simper.Runtime;

namespace Simper.Cli.Commands;

/// <summary>The --model/--device/--dtype/--threads options that every model-running command shares, and loading from them.</summary>
internal sealed class ModelLoading
{
    public Option<string> Model { get; } = CommonOptions.Model();
    public Option<string> Device { get; } = CommonOptions.Device();
    public Option<string> Dtype { get; } = CommonOptions.Dtype();
    public Option<int> Threads { get; } = CommonOptions.Threads();

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Device);
        command.Options.Add(Dtype);
        command.Options.Add(Threads);
    }

    public string ModelDir(ParseResult parse) => parse.GetValue(Model)!;

    /// <summary>Applies the thread setting and opens the model folder named by --model (or <paramref name="dir"/>).</summary>
    public ModelFolder Open(ParseResult parse, string? dir = null)
    {
        TorchRuntime.SetThreads(parse.GetValue(Threads));
        return ModelFolder.Open(dir ?? ModelDir(parse));
    }

    public TorchSharp.torch.Device ParseDevice(ParseResult parse) => TorchRuntime.ParseDevice(parse.GetValue(Device)!);

    public TorchSharp.torch.ScalarType ParseDtype(ParseResult parse) => TorchRuntime.ParseDtype(parse.GetValue(Dtype)!);

    /// <summary>Applies the thread setting and loads the model folder named by --model (or <paramref name="dir"/>).</summary>
    public LlamaForCausalLM Load(ParseResult parse, string? dir = null)
    {
        var folder = Open(parse, dir);
        return folder.LoadModel(ParseDtype(parse), ParseDevice(parse));
    }
}
