using System.Text.Json.Nodes;
using Simper.Export;

namespace Simper.Tests.Export;

/// <summary>
/// tokenizer.ggml.pre from the pre_tokenizer pipeline: each llama.cpp type is recognised from its models' whole
/// pipeline, and a pipeline that differs in a step, an option or a regex is refused rather than given a type.
/// </summary>
public class PreTokenizerTypeTests
{
    private static JsonObject ByteLevel(bool useRegex) =>
        new() { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = useRegex };

    private static JsonObject Digits(bool individual) => new() { ["type"] = "Digits", ["individual_digits"] = individual };

    private static JsonObject Split(string regex, string behavior = "Isolated") =>
        new() { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = regex }, ["behavior"] = behavior, ["invert"] = false };

    private static JsonObject Sequence(params JsonNode[] steps) => new() { ["type"] = "Sequence", ["pretokenizers"] = new JsonArray(steps) };

    private static JsonObject Falcon(string digitsRegex = "[0-9][0-9][0-9]", string behavior = "Isolated") => Sequence(
        new JsonObject { ["type"] = "Punctuation", ["behavior"] = "Contiguous" }, ByteLevel(true), Digits(false), Split(digitsRegex, behavior));

    private static JsonObject StarCoder(bool individual = true) => Sequence(Digits(individual), ByteLevel(true));

    public static TheoryData<string, string> Recognised => new()
    {
        { ByteLevel(true).ToJsonString(), "gpt-2" },
        { Falcon().ToJsonString(), "falcon" },
        { StarCoder().ToJsonString(), "starcoder" },
    };

    [Theory]
    [MemberData(nameof(Recognised))]
    public void APipelineIsNamedAsLlamaCppNamesIt(string json, string expected) =>
        Assert.Equal(expected, PreTokenizerType.Detect(JsonNode.Parse(json), "tokenizer.json"));

    public static TheoryData<string> Refused => new()
    {
        Falcon(digitsRegex: "[0-9][0-9]").ToJsonString(),
        Falcon(behavior: "Removed").ToJsonString(),
        StarCoder(individual: false).ToJsonString(),
        Sequence(Digits(true), ByteLevel(false)).ToJsonString(),
        Sequence(Split("[\r\n]"), Split("\\p{N}+"), ByteLevel(false)).ToJsonString(),
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void ANearMissIsRefusedNotGuessed(string json)
    {
        var error = Assert.Throws<SimperException>(() => PreTokenizerType.Detect(JsonNode.Parse(json), "tokenizer.json"));
        Assert.Contains("is not one llama.cpp knows (gpt-2, llama-bpe, qwen2, falcon, deepseek-llm, starcoder)", error.Message);
    }
}
