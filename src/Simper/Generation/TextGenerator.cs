using System.Text.Json;
using Simper.Distributed;
using Simper.Models;
using Simper.Templates;
using Simper.Text;

namespace Simper.Generation;

/// <summary>One completion: which prompt it continues, which of that prompt's samples it is, its tokens and text.</summary>
public sealed record GeneratedText(int PromptIndex, int Sample, int[] TokenIds, string Text);

/// <summary>
/// Text in, text out: encodes prompts the way the model's tokenizer and chat template say, generates in batches and
/// decodes the new tokens without special tokens.
/// </summary>
public sealed class TextGenerator(LlamaForCausalLM model, PromptResponseEncoder text)
{
    /// <summary>A plain-text prompt with the tokenizer's BOS in front (when it adds one).</summary>
    public int[] EncodeText(string prompt) => NonEmpty(text.EncodePrompt(prompt));

    /// <summary>A conversation rendered with the chat template and its generation prompt (plain text when the model has no template).</summary>
    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages) => NonEmpty(text.EncodePrompt(messages));

    /// <summary>
    /// <paramref name="samples"/> completions of every prompt, ordered by prompt then sample. Rows are decoded
    /// <paramref name="batchSize"/> at a time; batch i samples with seed <c>options.Seed + i</c>, so a run is reproducible.
    /// <paramref name="progress"/> receives the number of completions finished so far.
    /// </summary>
    public IReadOnlyList<GeneratedText> Generate(IReadOnlyList<int[]> prompts, int samples, GenerationOptions options,
        int batchSize, IProgress<int>? progress = null, ICommunicator? ranks = null)
    {
        ranks ??= SingleProcess.Instance;
        Check(samples, options, batchSize);
        var jobs = prompts.SelectMany((_, p) => Enumerable.Range(0, samples).Select(k => (Prompt: p, Sample: k))).ToList();
        var results = new List<GeneratedText>(jobs.Count);
        model.eval();
        foreach (var (batch, index) in jobs.Chunk(batchSize).Select((b, i) => (b, i)))
        {
            if (index % ranks.Size != ranks.Rank) continue;
            var batchOptions = options with { Seed = options.Seed is { } seed ? seed + index : null };
            var outputs = TokenGenerator.Generate(model, batch.Select(j => prompts[j.Prompt]).ToList(), batchOptions);
            for (var i = 0; i < batch.Length; i++)
                results.Add(new GeneratedText(batch[i].Prompt, batch[i].Sample, outputs[i],
                    text.Tokenizer.Decode(outputs[i], skipSpecialTokens: true)));
            progress?.Report(results.Count);
        }
        return ranks.Size == 1 ? results : GatherInOrder(results, ranks);
    }

    /// <summary>
    /// Every rank's results on rank 0 in one process's order (prompt, then sample); the other ranks get none.
    /// Batches are dealt out in turn (batch b to rank b mod N) and keep their index as sampling seed offset, so greedy
    /// output matches one process and seeded sampling is reproducible.
    /// </summary>
    private static IReadOnlyList<GeneratedText> GatherInOrder(List<GeneratedText> mine, ICommunicator ranks)
    {
        var all = ranks.Gather(JsonSerializer.SerializeToUtf8Bytes(mine), root: 0);
        return all.SelectMany(bytes => JsonSerializer.Deserialize<List<GeneratedText>>(bytes)!)
            .OrderBy(r => r.PromptIndex).ThenBy(r => r.Sample).ToList();
    }

    private static void Check(int samples, GenerationOptions options, int batchSize)
    {
        if (samples < 1) throw new SettingException($"«num_samples» {samples}: expected at least 1");
        if (batchSize < 1) throw new SettingException($"«batch_size» {batchSize}: expected at least 1");
        if (options.MaxNewTokens < 1) throw new SettingException($"«max_new_tokens» {options.MaxNewTokens}: expected at least 1");
        if (!options.DoSample) return;
        if (!(options.Temperature >= 0) || !double.IsFinite(options.Temperature))
            throw new SettingException($"«temperature» {options.Temperature}: expected a number >= 0 (0 decodes greedily, as «greedy»)");
        if (!(options.TopP is > 0 and <= 1)) throw new SettingException($"«top_p» {options.TopP}: expected a number in (0, 1]");
        if (options.TopK < 0) throw new SettingException($"«top_k» {options.TopK}: expected 0 (off) or a positive count");
    }

    private static int[] NonEmpty(int[] ids) => ids.Length > 0 ? ids
        : throw new SimperException("the prompt encodes to no tokens and the tokenizer adds no BOS token; give a non-empty prompt");
}
