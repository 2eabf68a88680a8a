using System.Text.Json;
using Simper.Checkpoints;
using Simper.Demo.Report;
using Simper.Text;
using TorchSharp;

namespace Simper.Demo;

/// <summary>`simper demo score`: a model folder's greedy accuracy on a prompts file, per task family.</summary>
public static class AccuracyScoring
{
    public static AccuracyEvaluator.Result ScoreModel(string modelDir, string promptsPath, int maxNewTokens)
    {
        var folder = ModelFolder.Open(modelDir);
        using var model = folder.LoadModel();
        return AccuracyEvaluator.Score(model, folder.Encoder(), DemoData.ReadPrompts(promptsPath), maxNewTokens);
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Write(string path, ModelScore score)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(score, Json));
    }

    public static ModelScore Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelScore>(File.ReadAllText(path), Json)
                   ?? throw new SimperException($"{path}: expected a score object, found null");
        }
        catch (JsonException e)
        {
            throw new SimperException($"{path}: not a score written by simper demo score ({e.Message})", e);
        }
    }
}
