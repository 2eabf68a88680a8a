using Simper.Kernels;
using Simper.Models;

namespace Simper.Scoring;

/// <summary>A response token to score: the position whose output predicts it, its id, and the sequence it belongs to.</summary>
public readonly record struct ScoredToken(long From, long Target, int Owner);

/// <summary>
/// One row of packed sequences: token ids, position ids (restarting per sequence), the attention blocks that keep the
/// sequences apart, and the response tokens to score. Each scored token names the position that predicts it rather
/// than relying on "the previous position": a rejected response stored after the chosen one is predicted first from
/// the shared prompt's last position.
/// </summary>
public sealed class PackedRow
{
    private readonly List<long> ids = [];
    private readonly List<long> positions = [];
    private readonly List<AttentionBlock> blocks = [];
    private readonly List<ScoredToken> scored = [];

    public int Length => ids.Count;
    public IReadOnlyList<long> Ids => ids;
    public IReadOnlyList<long> Positions => positions;
    public IReadOnlyList<AttentionBlock> Blocks => blocks;
    public IReadOnlyList<ScoredToken> Scored => scored;

    /// <summary>Appends prompt + response as one causal sequence; the response tokens are scored for <paramref name="owner"/>.</summary>
    public void AddSequence(int[] prompt, int[] response, int owner)
    {
        var start = Length;
        Append(prompt, 0);
        Append(response, prompt.Length);
        AddBlock(new AttentionBlock(start, prompt.Length + response.Length));
        ScoreResponse(start + prompt.Length, response, start + prompt.Length - 1, start, owner);
    }

    /// <summary>
    /// Appends [prompt | chosen | rejected] with the prompt stored once: chosen attends causally to prompt + chosen,
    /// rejected to the prompt and causally to itself (never to chosen), and rejected's positions restart where the
    /// prompt ends, so both responses see exactly what they would see as separate sequences.
    /// </summary>
    public void AddPair(int[] prompt, int[] chosen, int[] rejected, int chosenOwner, int rejectedOwner)
    {
        var start = Length;
        var promptEnd = start + prompt.Length;
        Append(prompt, 0);
        Append(chosen, prompt.Length);
        AddBlock(new AttentionBlock(start, prompt.Length + chosen.Length));
        ScoreResponse(promptEnd, chosen, promptEnd - 1, start, chosenOwner);

        var rejectedStart = Length;
        Append(rejected, prompt.Length);
        AddBlock(new AttentionBlock(rejectedStart, rejected.Length, start, prompt.Length));
        ScoreResponse(rejectedStart, rejected, promptEnd - 1, start, rejectedOwner);
    }

    private void Append(int[] tokens, long firstPosition)
    {
        foreach (var token in tokens) ids.Add(token);
        for (var t = 0; t < tokens.Length; t++) positions.Add(firstPosition + t);
    }

    private void AddBlock(AttentionBlock block)
    {
        if (block.QueryLength > 0) blocks.Add(block);
    }

    /// <summary>
    /// Response token j (stored at responseStart + j) is predicted from <paramref name="firstFrom"/> when j = 0 and
    /// from its predecessor otherwise. A first token with nothing before it in its sequence (empty prompt) is not
    /// scored, as in a right-padded batch where position 0 predicts nothing.
    /// </summary>
    private void ScoreResponse(long responseStart, int[] response, long firstFrom, long sequenceStart, int owner)
    {
        for (var j = 0; j < response.Length; j++)
        {
            var from = j == 0 ? firstFrom : responseStart + j - 1;
            if (from >= sequenceStart) scored.Add(new ScoredToken(from, response[j], owner));
        }
    }
}
