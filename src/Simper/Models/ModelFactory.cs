using TorchSharp;
using static TorchSharp.torch;

namespace Simper.Models;

/// <summary>Creates freshly initialised models.</summary>
public static class ModelFactory
{
    /// <summary>
    /// A model with transformers' initialisation: every linear and embedding weight ~ normal(0, initializer_range),
    /// biases 0, the padding token's embedding row 0, norm weights 1. The same seed gives the same weights.
    /// </summary>
    public static LlamaForCausalLM CreateRandom(ModelConfig config, int seed, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        device ??= torch.CPU;
        var model = new LlamaForCausalLM(config, device, dtype);
        using var noGrad = torch.no_grad();
        using var generator = new torch.Generator((ulong)seed, device);
        foreach (var (name, parameter) in model.named_parameters())
        {
            // Layernorms, model.norm, q_norm, k_norm: a gain of 1, which Gemma's (1 + weight) holds as 0.
            if (name.EndsWith("norm.weight")) parameter.fill_(config.NormAddsOne ? 0.0 : 1.0);
            else if (name.EndsWith(".bias")) parameter.zero_();
            // Tensor.normal_ rather than nn.init.normal_, which in TorchSharp 0.107 ignores the generator argument.
            else parameter.normal_(0.0, config.InitializerRange, generator);
        }
        if (config.PadTokenId is { } pad) { using var row = model.model.embed_tokens.weight![pad]; row.zero_(); }
        return model;
    }
}
