namespace Simper.Generation;

/// <summary>How <see cref="TokenGenerator"/> picks tokens. Defaults are greedy decoding with a key/value cache.</summary>
public sealed record GenerationOptions
{
    /// <summary>Upper bound on new tokens per prompt; also capped so no position exceeds max_position_embeddings.</summary>
    public int MaxNewTokens { get; init; } = 128;
    /// <summary>False = greedy (argmax); true = sample from the filtered distribution, unless <see cref="Temperature"/> is 0.</summary>
    public bool DoSample { get; init; }
    /// <summary>
    /// Divides logits before sampling; below 1 sharpens, above 1 flattens. 0 is the limit of sharpening, the most
    /// likely token every time: greedy decoding, as vLLM, llama.cpp and the OpenAI API read it.
    /// </summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>Whether tokens are drawn at random: <see cref="DoSample"/> at a temperature other than 0.</summary>
    public bool Samples => DoSample && Temperature != 0;
    /// <summary>Keep only the k most likely tokens when sampling; 0 disables.</summary>
    public int TopK { get; init; }
    /// <summary>Keep the smallest set of most likely tokens whose probability reaches p (nucleus sampling); 1 disables.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Seed of the sampling generator, for reproducible samples; null draws a fresh seed.</summary>
    public long? Seed { get; init; }
    /// <summary>Token ids that end a sequence (included in the output); null uses the model config's eos_token_id.</summary>
    public IReadOnlyList<int>? EosTokenIds { get; init; }
    /// <summary>Reuse keys/values of earlier positions; false recomputes the whole sequence each step (slower, for checks).</summary>
    public bool UseCache { get; init; } = true;
    /// <summary>Filler id for left padding and finished rows; it is masked out, so any valid id works.</summary>
    public int PadTokenId { get; init; }
}
