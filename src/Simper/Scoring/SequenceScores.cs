using static TorchSharp.torch;

namespace Simper.Scoring;

/// <summary>
/// Per-sequence response scores; Sum keeps the autograd graph when gradients are enabled.
/// Tokens counts the real tokens the model processed, Positions every position including padding.
/// </summary>
public sealed class SequenceScores(Tensor sum, Tensor count, Tensor logitSum, long tokens, long positions) : IDisposable
{
    /// <summary>[S]: summed response log-probability (float32, float64 for a float64 model).</summary>
    public Tensor Sum { get; } = sum;
    /// <summary>[S]: number of response tokens scored.</summary>
    public Tensor Count { get; } = count;
    /// <summary>[S]: sum of all vocabulary logits at the scored positions (detached).</summary>
    public Tensor LogitSum { get; } = logitSum;
    public long Tokens { get; } = tokens;
    public long Positions { get; } = positions;

    public void Dispose()
    {
        Sum.Dispose();
        Count.Dispose();
        LogitSum.Dispose();
    }
}
