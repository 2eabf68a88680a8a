using Simper.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Generation;

/// <summary>Autoregressive decoding of a batch of prompts of different lengths.</summary>
public static class TokenGenerator
{
    /// <summary>
    /// Continues every prompt and returns only the new tokens of each (an EOS token is included when produced).
    /// Prompts are left-padded into one batch, with an attention mask hiding the padding and position ids
    /// counting from each prompt's first real token, so each row decodes as it would alone.
    /// </summary>
    public static IReadOnlyList<int[]> Generate(LlamaForCausalLM model, IReadOnlyList<int[]> prompts, GenerationOptions options)
    {
        if (prompts.Count == 0) return [];
        if (prompts.Any(p => p.Length == 0)) throw new ArgumentException("every prompt needs at least one token (for example BOS)", nameof(prompts));
        var longest = prompts.Max(p => p.Length);
        var maxPositions = model.Config.MaxPositionEmbeddings;
        if (longest >= maxPositions)
            throw new SimperException($"a prompt of {longest} tokens leaves no room to generate within max_position_embeddings ({maxPositions})");
        var steps = Math.Min(options.MaxNewTokens, maxPositions - longest);
        var eos = (options.EosTokenIds ?? model.Config.EosTokenIds).ToHashSet();
        var device = model.Device;

        using var noGrad = torch.no_grad();
        using var sampler = new TokenSampler(options, device);
        using var cache = options.UseCache ? model.NewCache() : null;
        var (ids, mask) = LeftPad(prompts, options.PadTokenId, device); // [B, L] each
        var positions = FirstPositions(mask);                          // [B, L]
        var outputs = prompts.Select(_ => new List<int>()).ToArray();
        var finished = new bool[prompts.Count];
        Tensor? next = null;
        try
        {
            for (var step = 0; step < steps && !finished.All(f => f); step++)
            {
                using var scope = torch.NewDisposeScope();
                // With a cache only the newest token is fed after the first step; without one, everything again.
                var fresh = cache is not null && step > 0;
                var input = fresh ? next!.unsqueeze(1) : ids;                                 // [B, T]
                var inputPositions = fresh ? positions[.., ^1..] : positions;                // [B, T]
                var logits = model.forward(input, inputPositions, mask, cache)[.., -1];       // [B, V]
                var chosen = sampler.Next(logits).cpu().data<long>().ToArray();

                for (var b = 0; b < chosen.Length; b++)
                {
                    if (finished[b]) { chosen[b] = options.PadTokenId; continue; }
                    outputs[b].Add((int)chosen[b]);
                    finished[b] = eos.Contains((int)chosen[b]);
                }
                next?.Dispose();
                next = torch.tensor(chosen, device: device).DetachFromDisposeScope();       // [B]
                (ids, mask, positions) = Extend(ids, mask, positions, next);
            }
        }
        finally
        {
            next?.Dispose();
            ids.Dispose();
            mask.Dispose();
            positions.Dispose();
        }
        return outputs.Select(o => o.ToArray()).ToList();
    }

    private static (Tensor ids, Tensor mask) LeftPad(IReadOnlyList<int[]> prompts, int padId, Device device)
    {
        var length = prompts.Max(p => p.Length);
        var ids = new long[prompts.Count * length];
        var mask = new long[ids.Length];
        Array.Fill(ids, padId);
        for (var b = 0; b < prompts.Count; b++)
        {
            var start = b * length + length - prompts[b].Length;
            for (var t = 0; t < prompts[b].Length; t++) (ids[start + t], mask[start + t]) = (prompts[b][t], 1);
        }
        long[] shape = [prompts.Count, length];
        return (torch.tensor(ids, shape, device: device), torch.tensor(mask, shape, device: device));
    }

    /// <summary>Position of each real token counted from its row's first real token; padding gets 0 (it is masked).</summary>
    private static Tensor FirstPositions(Tensor mask)
    {
        using var counts = mask.cumsum(1);
        using var zeroBased = counts - 1;
        return zeroBased.clamp_min(0);
    }

    /// <summary>Appends the chosen tokens [B] as a new real column, one position after each row's last.</summary>
    private static (Tensor, Tensor, Tensor) Extend(Tensor ids, Tensor mask, Tensor positions, Tensor next)
    {
        using var column = next.unsqueeze(1);                      // [B, 1]
        using var ones = torch.ones_like(column);
        using var lastPosition = positions[.., ^1..];              // [B, 1]
        using var nextPosition = lastPosition + 1;
        var extended = (torch.cat([ids, column], 1).DetachFromDisposeScope(), torch.cat([mask, ones], 1).DetachFromDisposeScope(),
            torch.cat([positions, nextPosition], 1).DetachFromDisposeScope());
        ids.Dispose();
        mask.Dispose();
        positions.Dispose();
        return extended;
    }
}
