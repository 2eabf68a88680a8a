using Simper.Models;
using Simper.Templates;
using Simper.Tokenization;
using static TorchSharp.torch;

namespace Simper.Checkpoints;

/// <summary>
/// A Hugging Face model folder, read once: its config.json, its tokenizer and chat template (when it has tokenizer
/// files), and the weights, loaded on request in the dtype and on the device asked for. Training, evaluation,
/// generation and the commands all take one of these rather than a path, so the folder is checked in one place.
/// </summary>
public sealed class ModelFolder
{
    private static readonly string[] TokenizerFiles = ["tokenizer.json", "vocab.json", "tokenizer.model"];

    public string Path { get; }
    public ModelConfig Config { get; }
    /// <summary>The folder's tokenizer; null when it has no tokenizer files (pre-tokenized data needs none).</summary>
    public ModelTokenizer? Tokenizer { get; }
    /// <summary>The chat template of tokenizer_config.json; null when there is none.</summary>
    public ChatTemplate? Template { get; }

    private ModelFolder(string path, ModelConfig config, ModelTokenizer? tokenizer)
    {
        Path = path;
        Config = config;
        Tokenizer = tokenizer;
        Template = tokenizer?.ChatTemplate is { } source ? new ChatTemplate(source, tokenizer.BosToken, tokenizer.EosToken) : null;
    }

    /// <summary>Reads config.json and the tokenizer files of <paramref name="path"/>; the weights are read by <see cref="LoadModel"/>.</summary>
    public static ModelFolder Open(string path)
    {
        if (!Directory.Exists(path)) throw new SimperException($"{path}: model folder not found");
        var config = ModelConfig.Load(System.IO.Path.Combine(path, PretrainedModel.ConfigFile));
        var tokenizer = HasTokenizer(path) ? ModelTokenizer.FromFolder(path) : null;
        if (tokenizer is not null) CheckFitsModel(tokenizer, config, path);
        return new ModelFolder(path, config, tokenizer);
    }

    /// <summary>True when the folder has tokenizer files (a model used only with pre-tokenized data may have none).</summary>
    public static bool HasTokenizer(string path) => TokenizerFiles.Any(f => File.Exists(System.IO.Path.Combine(path, f)));

    /// <summary>The tokenizer, or the tokenizer reader's one-line error saying what the folder lacks.</summary>
    public ModelTokenizer RequireTokenizer() => Tokenizer ?? ModelTokenizer.FromFolder(Path);

    /// <summary>The model with the folder's weights (single file or sharded), in <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public LlamaForCausalLM LoadModel(ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        PretrainedModel.Load(Path, Config, dtype, device ?? CPU);

    /// <summary>
    /// A token id at or beyond the model's vocab_size would index past its embedding matrix mid-run, so a tokenizer
    /// that can produce one is refused when the folder is read.
    /// </summary>
    private static void CheckFitsModel(ModelTokenizer tokenizer, ModelConfig config, string path)
    {
        int tokenizerVocab = Math.Max(tokenizer.VocabSize, tokenizer.AddedTokens.Keys.DefaultIfEmpty(-1).Max() + 1);
        if (tokenizerVocab > config.VocabSize)
            throw new SimperException(
                $"{path}: the tokenizer has {tokenizerVocab} token ids but config.json vocab_size is {config.VocabSize}; expected a tokenizer vocabulary of at most vocab_size");
    }
}
