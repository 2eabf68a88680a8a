using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simper.Tokenization;

/// <summary>
/// Writes the tokenizer of a fresh model: a Hugging Face byte-level BPE with the 256 byte tokens and no merges (every
/// UTF-8 byte is one token), followed by special tokens, plus a <c>tokenizer_config.json</c> with a chat template.
/// </summary>
public static class ByteLevelTokenizerFiles
{
    public const string EndOfText = "<|endoftext|>";
    public const string Padding = "<|pad|>";
    public const string SystemMarker = "<|system|>";
    public const string UserMarker = "<|user|>";
    public const string AssistantMarker = "<|assistant|>";

    /// <summary>Special tokens in id order, from id 256 on: BOS/EOS, padding, then the chat role markers.</summary>
    public static IReadOnlyList<string> SpecialTokens { get; } = [EndOfText, Padding, SystemMarker, UserMarker, AssistantMarker];

    /// <summary>256 byte tokens plus the special tokens.</summary>
    public static int VocabSize => 256 + SpecialTokens.Count;

    /// <summary>Each message as its role marker, a newline, the content and EOS; the markers are the special tokens above.</summary>
    public const string ChatTemplate =
        "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}{{ eos_token }}\n{% endfor %}" +
        "{% if add_generation_prompt %}<|assistant|>\n{% endif %}";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="dir"/>; returns the vocabulary size.</summary>
    public static int Write(string dir, int modelMaxLength = 2048)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), TokenizerJson().ToJsonString(Options));
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), TokenizerConfig(modelMaxLength).ToJsonString(Options));
        return VocabSize;
    }

    private static JsonObject AddedToken(int id, string content) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false,
        ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
    };

    private static JsonObject ByteLevel(bool addPrefixSpace) => new()
    {
        ["type"] = "ByteLevel", ["add_prefix_space"] = addPrefixSpace, ["trim_offsets"] = true, ["use_regex"] = true,
    };

    private static JsonObject TokenizerJson()
    {
        var vocab = new JsonObject();
        var byteToChar = ByteLevelAlphabet.ByteToChar();
        for (int b = 0; b < 256; b++) vocab[byteToChar[b].ToString()] = b;

        static JsonObject Special(string id, int typeId) => new() { ["SpecialToken"] = new JsonObject { ["id"] = id, ["type_id"] = typeId } };
        static JsonObject Sequence(string id, int typeId) => new() { ["Sequence"] = new JsonObject { ["id"] = id, ["type_id"] = typeId } };
        // BOS before each sequence, matching add_bos_token in tokenizer_config.json.
        var postProcessor = new JsonObject
        {
            ["type"] = "TemplateProcessing",
            ["single"] = new JsonArray(Special(EndOfText, 0), Sequence("A", 0)),
            ["pair"] = new JsonArray(Special(EndOfText, 0), Sequence("A", 0), Special(EndOfText, 1), Sequence("B", 1)),
            ["special_tokens"] = new JsonObject
            {
                [EndOfText] = new JsonObject { ["id"] = EndOfText, ["ids"] = new JsonArray(256), ["tokens"] = new JsonArray(EndOfText) },
            },
        };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(SpecialTokens.Select((t, i) => (JsonNode)AddedToken(256 + i, t)).ToArray()),
            ["normalizer"] = null,
            ["pre_tokenizer"] = ByteLevel(addPrefixSpace: false),
            ["post_processor"] = postProcessor,
            ["decoder"] = ByteLevel(addPrefixSpace: true),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false,
                ["vocab"] = vocab, ["merges"] = new JsonArray(),
            },
        };
    }

    private static JsonObject TokenizerConfig(int modelMaxLength)
    {
        var decoder = new JsonObject();
        for (int i = 0; i < SpecialTokens.Count; i++) decoder[(256 + i).ToString()] = AddedToken(256 + i, SpecialTokens[i]);
        return new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["bos_token"] = EndOfText,
            ["eos_token"] = EndOfText,
            ["pad_token"] = Padding,
            ["add_bos_token"] = true,
            ["add_eos_token"] = false,
            ["model_max_length"] = modelMaxLength,
            ["clean_up_tokenization_spaces"] = false,
            ["added_tokens_decoder"] = decoder,
            ["chat_template"] = ChatTemplate,
        };
    }
}
