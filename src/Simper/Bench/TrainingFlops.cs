using Simper.Models;

namespace Simper.Bench;

/// <summary>
/// One attention block of a forward pass: <see cref="Queries"/> positions each attending to <see cref="Keys"/>
/// positions. An ordinary sequence of length s is (s, s); the rejected response r of a shared-prompt pair with prompt
/// p is (r, p + r), because it attends to the prompt stored once and to itself.
/// </summary>
public readonly record struct AttendedBlock(long Queries, long Keys);

/// <summary>Parameters that get no weight gradient: <see cref="Body"/> outside the output head, <see cref="Head"/> the head's.</summary>
public readonly record struct FrozenParameters(long Body, long Head);

/// <summary>
/// FLOPs of one training step in the convention of PaLM (Chowdhery et al. 2022, appendix B), which MFU uses:
/// <code>
///   FLOPs = 6 · (N − N_head) · T  +  6 · N_head · M  +  12 · L · d · Σ_i q_i · k_i
/// </code>
/// N = parameters excluding the input embedding table (a tied embedding/head matrix is counted once, as the head),
/// N_head = V · d the output head's, T = real tokens processed (padding excluded), M = positions at which the head is
/// counted, L = layers, d = hidden size, and for each attention block q_i queries over k_i keys; for an ordinary
/// sequence q_i = k_i = s_i, PaLM's 12·L·d·s_i². The 6 is 2 (forward) + 4 (backward) FLOPs per parameter per token;
/// the attention term counts QKᵀ and attention·V without halving for the causal mask. With M = T this is PaLM's
/// model FLOPs, 6·N·T + attention, the figure MFU is defined with. With M = the positions that predict a response
/// token it is the work a preference loss needs, and all the scorer computes: no logits at prompt positions.
/// Work that is not in the model's arithmetic is not counted: padding, recomputation under gradient checkpointing.
/// A frozen weight (LoRA's base) still costs its forward and input-gradient products but gets no weight gradient, so
/// it counts 4 rather than 6: F_body frozen parameters outside the head take 2 · F_body · T off, a frozen head
/// 2 · N_head · M. A frozen reference model's forward pass is a third of the full formula:
/// 2 · (N − N_head) · T + 2 · N_head · M + 4 · L · d · Σ q_i · k_i.
/// </summary>
public static class TrainingFlops
{
    /// <summary>N: the model's distinct parameters minus the input embedding table unless it doubles as the head.</summary>
    public static long NonEmbeddingParameters(LlamaForCausalLM model)
    {
        var total = model.parameters().Sum(p => p.numel());
        var embedding = model.model.embed_tokens.weight!.numel();
        return model.Config.TieWordEmbeddings ? total : total - embedding;
    }

    /// <summary>N_head: the output head's parameters, V · d (the embedding table itself when tied).</summary>
    public static long HeadParameters(LlamaForCausalLM model) => model.OutputWeight.numel();

    /// <summary>
    /// The parameters among N that get no gradient, outside the head and in it: a LoRA model's base. Both are 0 when
    /// every weight trains.
    /// </summary>
    public static FrozenParameters Frozen(LlamaForCausalLM model)
    {
        const string embedding = "model.embed_tokens.weight"; // not in N, unless tied, when it is the head
        var head = model.lm_head is null ? embedding : "lm_head.weight";
        long body = model.named_parameters()
            .Where(p => !p.parameter.requires_grad && p.name != embedding && p.name != head)
            .Sum(p => p.parameter.numel());
        return new FrozenParameters(body, model.OutputWeight.requires_grad ? 0 : model.OutputWeight.numel());
    }

    /// <summary>
    /// Forward + backward FLOPs: 6·(N − N_head)·T + 6·N_head·M + 12·L·d·Σ q·k, less the weight gradients that
    /// <paramref name="frozen"/> parameters do not get (2·F_body·T + 2·F_head·M).
    /// </summary>
    public static double Training(long parameters, long headParameters, int layers, int hidden, long tokens, long scored, IEnumerable<AttendedBlock> blocks,
        FrozenParameters frozen = default) =>
        6.0 * (parameters - headParameters) * tokens + 6.0 * headParameters * scored + 12.0 * layers * hidden * AttentionArea(blocks)
        - 2.0 * frozen.Body * tokens - 2.0 * frozen.Head * scored;

    /// <summary>Forward-only FLOPs (a reference model scored without gradients): a third of <see cref="Training"/>.</summary>
    public static double Forward(long parameters, long headParameters, int layers, int hidden, long tokens, long scored, IEnumerable<AttendedBlock> blocks) =>
        Training(parameters, headParameters, layers, hidden, tokens, scored, blocks) / 3.0;

    private static double AttentionArea(IEnumerable<AttendedBlock> blocks) => blocks.Sum(b => (double)b.Queries * b.Keys);
}
