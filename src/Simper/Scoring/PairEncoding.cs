using Simper.Checkpoints;
using Simper.Data;
using Simper.Text;

namespace Simper.Scoring;

/// <summary>Preference pairs read and encoded for scoring with a model folder's tokenizer and chat template.</summary>
public static class PairEncoding
{
    /// <summary>
    /// Truncation limits for scoring: none unless given. A prompt limit must leave room for a response.
    /// Errors name the settings max_length and max_prompt_length.
    /// </summary>
    public static TruncationOptions Truncation(int? maxLength, int? maxPromptLength)
    {
        var max = maxLength ?? int.MaxValue;
        var maxPrompt = maxPromptLength ?? int.MaxValue;
        if (max < 2) throw new SettingException($"«max_length» {max}: expected at least 2");
        if (maxPromptLength is not null && (maxPrompt < 1 || maxPrompt >= max))
            throw new SettingException($"«max_prompt_length» {maxPrompt}: expected at least 1 and below «max_length» to leave room for the response");
        return new TruncationOptions(max, maxPrompt);
    }

    /// <summary>
    /// Reads the pairs at <paramref name="dataPath"/> and encodes them with <paramref name="model"/>'s tokenizer
    /// (pre-tokenized rows need none), truncated by <paramref name="truncation"/>. Skipped rows and any truncation
    /// are written to <paramref name="log"/>; no pair left is an error.
    /// </summary>
    public static IReadOnlyList<EncodedPair> Load(ModelFolder model, string dataPath, DataOptions options, TruncationOptions truncation, TextWriter log)
    {
        var loaded = DatasetLoader.LoadPreferences(dataPath, options);
        if (loaded.SkippedRows > 0) log.WriteLine($"skipped {loaded.SkippedRows} bad rows; the first: {loaded.Problems[0]}");
        var encoder = new ExampleEncoder(model.TryEncoder(), truncation) { VocabSize = model.Config.VocabSize };
        var pairs = encoder.EncodePairs(loaded.Examples);
        if (encoder.Report.PromptsTruncated + encoder.Report.ResponsesTruncated + encoder.Report.Dropped > 0) log.WriteLine(encoder.Report.ToString());
        if (pairs.Count == 0)
            throw new SettingException($"{dataPath}: no pair fits «max_length» {truncation.MaxLength}; every prompt leaves no room for a response");
        return pairs;
    }
}
