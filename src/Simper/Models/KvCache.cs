using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>
/// Keys and values of the positions already processed, per layer, so decoding feeds only the new tokens.
/// Tensors are [B, KV heads, S, D] (after RoPE, before repetition for grouped-query attention). The cache owns them.
/// </summary>
public sealed class KvCache(int numLayers) : IDisposable
{
    private readonly Tensor?[] keys = new Tensor?[numLayers];
    private readonly Tensor?[] values = new Tensor?[numLayers];

    /// <summary>Number of positions cached (the same in every layer between forward calls).</summary>
    public long Length => keys[0]?.size(2) ?? 0;

    /// <summary>Appends this step's keys and values [B, KV, T, D] to a layer; returns all of them [B, KV, S+T, D], owned by the cache.</summary>
    public (Tensor keys, Tensor values) Append(int layer, Tensor newKeys, Tensor newValues)
    {
        keys[layer] = Concat(keys[layer], newKeys);
        values[layer] = Concat(values[layer], newValues);
        return (keys[layer]!, values[layer]!);
    }

    private static Tensor Concat(Tensor? past, Tensor next)
    {
        var all = past is null ? next.alias() : cat([past, next], 2);
        past?.Dispose();
        return all.DetachFromDisposeScope();
    }

    public void Dispose()
    {
        foreach (var t in keys.Concat(values)) t?.Dispose();
        Array.Clear(keys);
        Array.Clear(values);
    }
}
