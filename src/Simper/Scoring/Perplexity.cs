using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Scoring;

/// <summary>Perplexity exp(Nll / Tokens) of a token sequence; <see cref="Nll"/> is the total negative log-likelihood in nats.</summary>
public sealed record PerplexityResult(double Perplexity, long Tokens, double Nll);

/// <summary>Perplexity of a long text under a model that sees at most a window of tokens at a time.</summary>
public static class Perplexity
{
    /// <summary>
    /// Slides a window of <paramref name="maxLength"/> tokens over <paramref name="ids"/>, <paramref name="stride"/>
    /// tokens at a time, as Hugging Face's perplexity guide does: each window scores only the tokens no earlier
    /// window scored, with the rest of the window as context. Stride = max length gives disjoint windows (the first
    /// token of each window is then context only and not scored). <paramref name="progress"/> receives the tokens scored so far.
    /// </summary>
    public static PerplexityResult Compute(LlamaForCausalLM model, IReadOnlyList<int> ids, int maxLength, int stride,
        IProgress<long>? progress = null)
    {
        if (ids.Count < 2) throw new SimperException($"the text has {ids.Count} token(s); perplexity needs at least 2");
        if (maxLength < 2) throw new SettingException($"«max_length» {maxLength}: expected at least 2");
        if (maxLength > model.Config.MaxPositionEmbeddings)
            throw new SettingException($"«max_length» {maxLength}: the model's max_position_embeddings is {model.Config.MaxPositionEmbeddings}");
        if (stride < 1 || stride > maxLength) throw new SettingException($"«stride» {stride}: expected a number from 1 to «max_length» ({maxLength})");

        model.eval();
        using var noGrad = torch.no_grad();
        var all = ids.ToArray();
        double nll = 0;
        long tokens = 0;
        var scoredUpTo = 1; // the first token has no context, so nothing predicts it
        for (var begin = 0; begin + 1 < all.Length && scoredUpTo < all.Length; begin += stride)
        {
            var end = Math.Min(begin + maxLength, all.Length);
            var firstScored = Math.Max(scoredUpTo, begin + 1);
            if (firstScored >= end) continue;
            using var scope = torch.NewDisposeScope();
            using var batch = SequenceBatch.Collate([(all[begin..firstScored], all[firstScored..end])], padId: 0, model.Device);
            using var scores = LogProbs.Compute(model, batch);
            nll -= scores.Sum.to(ScalarType.Float64).item<double>();
            tokens += end - firstScored;
            scoredUpTo = end;
            progress?.Report(tokens);
        }
        return new PerplexityResult(Math.Exp(nll / tokens), tokens, nll);
    }
}
