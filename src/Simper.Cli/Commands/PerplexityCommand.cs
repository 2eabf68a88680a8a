using System.CommandLine;
using System.Text.Json.Nodes;
using Simper.Scoring;
using Simper.Text;

namespace Simper.Cli.Commands;

/// <summary>`simper perplexity`: perplexity of a model on a text file, as one JSON object on stdout.</summary>
public static class PerplexityCommand
{
    public static Command Create()
    {
        var model = new ModelLoading();
        var textFile = new Option<string>("--text") { Description = "UTF-8 text file, tokenized whole with BOS in front", Required = true };
        var maxLength = new Option<int>("--max-length") { Description = "Tokens the model sees at once", DefaultValueFactory = _ => 512 };
        var stride = new Option<int?>("--stride") { Description = "Tokens each window moves on; below --max-length the windows overlap and give context (default: --max-length)" };

        var command = new Command("perplexity",
            "Perplexity of a model on a text file. Example: simper perplexity --model out --text story.txt");
        model.AddTo(command);
        command.Options.Add(textFile);
        command.Options.Add(maxLength);
        command.Options.Add(stride);

        command.SetAction(parse =>
        {
            var path = parse.GetValue(textFile)!;
            if (!File.Exists(path)) throw new SimperException($"{path}: file not found");
            var folder = model.Open(parse);
            var tokenizer = folder.RequireTokenizer();
            var ids = tokenizer.Encode(File.ReadAllText(path), addSpecialTokens: false).ToList();
            if (tokenizer.BosTokenId is { } bos) ids.Insert(0, bos);
            using var network = folder.LoadModel(model.ParseDtype(parse), model.ParseDevice(parse));
            var window = parse.GetValue(maxLength);
            var result = Perplexity.Compute(network, ids, window, parse.GetValue(stride) ?? window);
            Console.Out.WriteLine(Output.ToJson(new JsonObject
            {
                ["perplexity"] = result.Perplexity,
                ["tokens"] = result.Tokens,
                ["nll"] = result.Nll,
            }));
            return 0;
        });
        return command;
    }
}
