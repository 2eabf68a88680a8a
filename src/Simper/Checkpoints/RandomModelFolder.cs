using Simper.Models;
using Simper.Tokenization;
using static TorchSharp.torch;

namespace Simper.Checkpoints;

/// <summary>Creates a Hugging Face model folder holding a randomly initialised model and the byte-level tokenizer.</summary>
public static class RandomModelFolder
{
    /// <summary>
    /// Writes <paramref name="dir"/>: config.json (bos/eos/pad ids taken from the tokenizer), model.safetensors with
    /// weights drawn from <paramref name="seed"/>, tokenizer.json and tokenizer_config.json. A folder that exists and
    /// is not empty is refused unless <paramref name="overwrite"/>. Returns the written config.
    /// </summary>
    public static ModelConfig Create(string dir, ModelPreset preset, int seed, bool overwrite = false)
    {
        if (File.Exists(dir)) throw new SimperException($"{dir}: is a file; expected a folder to create the model in");
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any() && !overwrite)
            throw new SimperException($"{dir}: folder is not empty; choose another folder or pass --overwrite to replace it");

        var tokenizerDir = Directory.CreateTempSubdirectory("simper-tokenizer-").FullName;
        try
        {
            ByteLevelTokenizerFiles.Write(tokenizerDir, preset.MaxPositionEmbeddings);
            var tokenizer = ModelTokenizer.FromFolder(tokenizerDir);
            var config = preset.ToConfig(tokenizer.VocabSize, tokenizer.BosTokenId, tokenizer.EosTokenId, tokenizer.PadTokenId);
            using var model = ModelFactory.CreateRandom(config, seed);
            PretrainedModel.Save(model, config, dir, ScalarType.Float32, copyTokenizerFrom: tokenizerDir);
            return config;
        }
        finally
        {
            Directory.Delete(tokenizerDir, recursive: true);
        }
    }
}
