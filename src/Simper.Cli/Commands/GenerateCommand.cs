using Simper.Runtime;
using System.CommandLine;
using System.Text.Json.Nodes;
using Simper.Data;
using Simper.Generation;
using Simper.Templates;
using Simper.Text;

namespace Simper.Cli.Commands;

/// <summary>`simper generate`: completions of one prompt (to stdout) or of every prompt in a dataset (to a JSONL file).</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var model = new ModelLoading();
        var prompt = new Option<string>("--prompt") { Description = "Prompt text; only the completion is printed to stdout" };
        var data = new Option<string>("--data") { Description = "Dataset whose rows have a 'prompt' (text or a list of chat messages)" };
        var output = CommonOptions.Output("JSONL file for --data: one row per sample with prompt, completion, sample and the input's other fields", required: false);
        var samples = new Option<int>("--num-samples") { Description = "Completions per prompt", DefaultValueFactory = _ => 1 };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Maximum new tokens per completion", DefaultValueFactory = _ => 128 };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature; 0 takes the most likely token, as --greedy", DefaultValueFactory = _ => 1.0 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling threshold; 1 disables", DefaultValueFactory = _ => 1.0 };
        var topK = new Option<int>("--top-k") { Description = "Sample from the k most likely tokens; 0 disables", DefaultValueFactory = _ => 0 };
        var greedy = new Option<bool>("--greedy") { Description = "Take the most likely token each step instead of sampling" };
        var batchSize = new Option<int>("--batch-size") { Description = "Completions decoded together", DefaultValueFactory = _ => 16 };
        var chat = new Option<bool>("--chat") { Description = "Treat --prompt as a user message rendered with the chat template" };
        var split = new Option<string>("--split") { Description = "Split to read when --data is a folder (train, test, ...)" };
        var seed = CommonOptions.Seed();

        var command = new Command("generate",
            "Generate text from a model. Example: simper generate --model out --prompt \"Once upon a time\"");
        model.AddTo(command);
        foreach (var option in new Option[] { prompt, data, output, samples, maxNew, temperature, topP, topK, greedy, seed, batchSize, chat, split })
            command.Options.Add(option);

        command.SetAction(parse =>
        {
            var promptText = parse.GetValue(prompt);
            var dataPath = parse.GetValue(data);
            var outputPath = parse.GetValue(output);
            if ((promptText is null) == (dataPath is null)) throw new SimperException("give either --prompt TEXT or --data FILE (with --output FILE)");
            if (dataPath is not null && outputPath is null) throw new SimperException("--data needs --output FILE for the generated rows");
            if (promptText is not null && outputPath is not null) throw new SimperException("--output goes with --data; with --prompt the completion is printed to stdout");

            var options = new GenerationOptions
            {
                MaxNewTokens = parse.GetValue(maxNew),
                DoSample = !parse.GetValue(greedy),
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                TopK = parse.GetValue(topK),
                Seed = parse.GetValue(seed),
            };
            if (dataPath is not null)
            {
                var job = new GenerationJob
                {
                    Model = model.Open(parse), DataPath = dataPath, OutputPath = outputPath!,
                    Samples = parse.GetValue(samples), BatchSize = parse.GetValue(batchSize), Options = options,
                    Data = new DataOptions { Split = parse.GetValue(split) },
                    Device = model.ParseDevice(parse),
                    Dtype = model.ParseDtype(parse),
                };
                var written = job.Run(Output.Count("generated", every: 256));
                Output.Log($"wrote {written} rows to {outputPath}");
                return 0;
            }
            var folder = model.Open(parse);
            var text = folder.Encoder();
            using var network = folder.LoadModel(model.ParseDtype(parse), model.ParseDevice(parse));
            var generator = new TextGenerator(network, text);
            var encoded = parse.GetValue(chat) ? generator.EncodeChat([new ChatMessage("user", promptText!)]) : generator.EncodeText(promptText!);
            var results = generator.Generate([encoded], parse.GetValue(samples), options, parse.GetValue(batchSize),
                Output.Progress("generated", parse.GetValue(samples)));
            foreach (var result in results) Console.Out.WriteLine(result.Text);
            return 0;
        });
        return command;
    }
}
