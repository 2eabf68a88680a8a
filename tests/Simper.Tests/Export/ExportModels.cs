using Simper.Checkpoints;
using Simper.Models;
using Simper.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Tests.Export;

/// <summary>Small random model folders for the export tests.</summary>
internal static class ExportModels
{
    /// <summary>
    /// A random tiny model whose vocabulary is the given tokenizer files (Simper's byte-level tokenizer when none),
    /// shaped by <paramref name="change"/>. Biases and norm weights are drawn at random too (transformers starts them
    /// at 0 and 1), so a misplaced bias or norm changes the output.
    /// </summary>
    public static string Create(string dir, IReadOnlyList<string>? tokenizerFiles, Func<ModelConfig, ModelConfig>? change = null)
    {
        var tokenizerDir = dir + "-tokenizer";
        Directory.CreateDirectory(tokenizerDir);
        if (tokenizerFiles == null) ByteLevelTokenizerFiles.Write(tokenizerDir);
        else foreach (var file in tokenizerFiles) File.Copy(file, Path.Combine(tokenizerDir, Path.GetFileName(file)));
        var tokenizer = ModelTokenizer.FromFolder(tokenizerDir);
        var config = ModelPresets.Tiny.ToConfig(tokenizer.VocabSize, tokenizer.BosTokenId, tokenizer.EosTokenId, tokenizer.PadTokenId);
        config = change?.Invoke(config) ?? config;
        using var model = ModelFactory.CreateRandom(config, seed: 3);
        using (torch.no_grad())
        {
            using var generator = new torch.Generator(11, torch.CPU);
            foreach (var (name, parameter) in model.named_parameters())
            {
                if (name.EndsWith(".bias")) parameter.normal_(0.0, 0.5, generator);
                else if (name.EndsWith("norm.weight")) parameter.uniform_(0.5, 1.5, generator);
            }
        }
        PretrainedModel.Save(model, config, dir, ScalarType.Float32, copyTokenizerFrom: tokenizerDir);
        return dir;
    }
}
