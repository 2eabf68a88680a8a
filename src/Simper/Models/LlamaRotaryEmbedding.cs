using Simper.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>
/// Rotary position embedding in the "rotate half" layout transformers uses: the first half of each head's dimensions
/// pairs with the second half. Produces cos/sin tables for given positions; <see cref="Apply"/> rotates q and k.
/// </summary>
public sealed class LlamaRotaryEmbedding : nn.Module
{
    /// <summary>Rotation frequency of each dimension pair, [D/2], computed in double precision.</summary>
    public readonly double[] inv_freq;
    /// <summary>longrope: the frequencies past the original context (inv_freq holds the short ones); null otherwise.</summary>
    private readonly double[]? longInvFreq;
    private readonly int originalContext;
    private readonly double attentionFactor = 1.0; // longrope's factor on cos and sin

    /// <param name="config">the model's config</param>
    /// <param name="local">Gemma 3's sliding layers: base rope_local_base_freq, without rope_scaling</param>
    public LlamaRotaryEmbedding(ModelConfig config, bool local = false) : base(nameof(LlamaRotaryEmbedding))
    {
        inv_freq = InverseFrequencies(config, local);
        if (!local && config.LongRope is { } longRope)
        {
            (originalContext, attentionFactor) = config.LongRopeContext();
            inv_freq = InverseFrequencies(config, local, longRope.ShortFactor);
            longInvFreq = InverseFrequencies(config, local, longRope.LongFactor);
        }
    }

    /// <summary>
    /// 1 / theta^(2i/D) over the D rotated channels of a head, then Llama 3 or linear scaling when configured (linear:
    /// positions divided by the factor, the same as frequencies divided by it).
    /// </summary>
    /// <param name="config">the model's config</param>
    /// <param name="local">Gemma 3's sliding layers' base, unscaled</param>
    /// <param name="extension">longrope's short or long factors: frequency i divided by extension[i]</param>
    public static double[] InverseFrequencies(ModelConfig config, bool local = false, double[]? extension = null)
    {
        var dim = config.RotaryDim;
        var theta = local ? config.LocalRopeTheta!.Value : config.RopeTheta;
        var invFreq = Enumerable.Range(0, dim / 2).Select(i => 1.0 / ((extension?[i] ?? 1.0) * Math.Pow(theta, 2.0 * i / dim))).ToArray();
        if (extension is not null) return invFreq;
        if (local) return invFreq;
        if (config.LinearRopeFactor is { } factor) return invFreq.Select(f => f / factor).ToArray();
        return config.RopeScaling is { } s ? invFreq.Select(f => Llama3Scale(f, s)).ToArray() : invFreq;
    }

    /// <summary>
    /// Llama 3 scaling: wavelengths longer than the original context are slowed down by <c>factor</c>, short ones kept,
    /// and the band between interpolates smoothly, so the model extends its context without retuning short-range heads.
    /// </summary>
    private static double Llama3Scale(double freq, Llama3RopeScaling s)
    {
        var wavelength = 2 * Math.PI / freq;
        var lowFreqWavelength = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
        var highFreqWavelength = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        if (wavelength < highFreqWavelength) return freq;
        if (wavelength > lowFreqWavelength) return freq / s.Factor;
        var smooth = (s.OriginalMaxPositionEmbeddings / wavelength - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
        return (1 - smooth) * freq / s.Factor + smooth * freq;
    }

    /// <summary>cos and sin tables [B, T, D] (D: the rotated channels) for position ids [B, T], in <paramref name="dtype"/>.</summary>
    public (Tensor cos, Tensor sin) forward(Tensor positionIds, ScalarType dtype)
    {
        // Angles in float32 as transformers computes them (float64 for double-precision models).
        var angleType = dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        // longrope, as transformers: the long factors for a pass whose positions reach past the original context.
        var frequencies = longInvFreq is not null && positionIds.max().item<long>() + 1 > originalContext ? longInvFreq : inv_freq;
        using var freqs = torch.tensor(frequencies, dtype: angleType, device: positionIds.device); // [D/2]
        using var positions = positionIds.to(angleType).unsqueeze(-1); // [B, T, 1]
        using var angles = positions * freqs; // [B, T, D/2]
        using var both = torch.cat([angles, angles], -1); // [B, T, D]
        using var cos = attentionFactor == 1.0 ? both.cos() : both.cos().mul_(attentionFactor);
        using var sin = attentionFactor == 1.0 ? both.sin() : both.sin().mul_(attentionFactor);
        return (cos.to(dtype), sin.to(dtype));
    }

    /// <summary>
    /// Rotates x [B, heads, T, D] by the tables cos, sin [B, T, R], as transformers' apply_rotary_pos_emb: all D
    /// channels when R = D, else (Phi-3's partial rotary) the first R, paired within them, and the rest as they are.
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var c = cos.unsqueeze(1); // [B, 1, T, R]
        using var s = sin.unsqueeze(1);
        var rotated = cos.size(-1);
        if (rotated == x.size(-1)) return KernelDispatch.Rotary(x, c, s);
        using var turned = KernelDispatch.Rotary(x.narrow(-1, 0, rotated), c, s);
        using var passed = x.narrow(-1, rotated, x.size(-1) - rotated);
        return torch.cat([turned, passed], -1);
    }
}
