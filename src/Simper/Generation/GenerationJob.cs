using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Simper.Checkpoints;
using Simper.Data;
using Simper.Distributed;
using Simper.Text;
using static TorchSharp.torch;

namespace Simper.Generation;

/// <summary>
/// `simper generate --data`: completions for every prompt row of a file, written as JSONL rows that keep the input
/// fields and add <c>completion</c> and <c>sample</c> (one row per sample). The output file appears only when complete.
/// </summary>
public sealed record GenerationJob
{
    /// <summary>The model to generate with, opened once (<see cref="ModelFolder.Open"/>).</summary>
    public required ModelFolder Model { get; init; }
    public required string DataPath { get; init; }
    public required string OutputPath { get; init; }
    public int Samples { get; init; } = 1;
    public int BatchSize { get; init; } = 16;
    public GenerationOptions Options { get; init; } = new();
    public DataOptions Data { get; init; } = new();
    public Device? Device { get; init; }
    public ScalarType Dtype { get; init; } = ScalarType.Float32;
    /// <summary>The ranks sharing the batches (rank 0 writes the file); under mpirun Open MPI's, else the lone process.</summary>
    public ICommunicator? Communicator { get; init; }

    private static readonly JsonSerializerOptions LineJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Generates and writes the rows; returns how many were written (0 on ranks other than 0).</summary>
    public int Run(IProgress<int>? progress = null)
    {
        var ranks = Communicator ?? Communicators.World;
        var text = Model.Encoder();
        var rows = PromptRows.Read(DataPath, Data);
        using (var model = Model.LoadModel(Dtype, Device ?? CPU))
        {
            var generator = new TextGenerator(model, text);
            var prompts = rows.Select(r => r.Messages is null ? generator.EncodeText(r.Text!) : generator.EncodeChat(r.Messages)).ToList();
            var results = generator.Generate(prompts, Samples, Options, BatchSize, progress, ranks);
            if (ranks.Rank != 0) return 0;
            var folder = Path.GetDirectoryName(Path.GetFullPath(OutputPath))!;
            Directory.CreateDirectory(folder);
            var temp = Path.Combine(folder, $".{Path.GetFileName(OutputPath)}.{Guid.NewGuid():N}.tmp");
            using (var writer = new StreamWriter(temp))
                foreach (var result in results)
                {
                    var row = (JsonObject)rows[result.PromptIndex].Fields.DeepClone();
                    row["completion"] = result.Text;
                    row["sample"] = result.Sample;
                    writer.WriteLine(row.ToJsonString(LineJson));
                }
            File.Move(temp, OutputPath, overwrite: true);
            return results.Count;
        }
    }
}
