using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Generation;

/// <summary>Chooses the next token from last-position logits: argmax, or a sample after temperature, top-k and top-p.</summary>
public sealed class TokenSampler : IDisposable
{
    private readonly GenerationOptions options;
    private readonly torch.Generator? generator;

    public TokenSampler(GenerationOptions options, Device device)
    {
        if (options.Samples)
        {
            if (options.Temperature <= 0) throw new ArgumentException($"temperature is {options.Temperature}; expected > 0 when sampling");
            if (options.TopP is <= 0 or > 1) throw new ArgumentException($"top_p is {options.TopP}; expected a value in (0, 1]");
            if (options.TopK < 0) throw new ArgumentException($"top_k is {options.TopK}; expected >= 0");
            generator = new torch.Generator((ulong)(options.Seed ?? Random.Shared.NextInt64()), device);
        }
        this.options = options;
    }

    /// <summary>Next token ids [B] (int64) for logits [B, V].</summary>
    public Tensor Next(Tensor logits)
    {
        using var scope = torch.NewDisposeScope();
        var scores = logits.to(ScalarType.Float32); // [B, V]
        if (!options.Samples) return scores.argmax(-1).MoveToOuterDisposeScope();
        scores = scores / options.Temperature;
        if (options.TopK > 0) scores = KeepTopK(scores, Math.Min(options.TopK, (int)scores.size(-1)));
        if (options.TopP < 1) scores = KeepTopP(scores, options.TopP);
        var probabilities = scores.softmax(-1);
        return probabilities.multinomial(1, generator: generator).squeeze(-1).MoveToOuterDisposeScope(); // [B]
    }

    private static Tensor KeepTopK(Tensor scores, int k)
    {
        var (values, _) = scores.topk(k, -1);
        var threshold = values[.., (k - 1)..]; // [B, 1] the k-th largest score
        return scores.masked_fill(scores.lt(threshold), double.NegativeInfinity);
    }

    /// <summary>As transformers' TopPLogitsWarper: drop the least likely tokens whose total probability is at most 1 - p, always keeping the most likely one.</summary>
    private static Tensor KeepTopP(Tensor scores, double p)
    {
        var (sorted, order) = scores.sort(-1, descending: false); // ascending
        var cumulative = sorted.softmax(-1).cumsum(-1);
        var drop = cumulative.le(1 - p);
        drop[TensorIndex.Colon, -1] = torch.tensor(false);
        var dropInVocabOrder = drop.scatter(-1, order, drop);
        return scores.masked_fill(dropInVocabOrder, double.NegativeInfinity);
    }

    public void Dispose() => generator?.Dispose();
}
