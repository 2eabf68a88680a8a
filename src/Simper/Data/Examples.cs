namespace Simper.Data;

/// <summary>
/// A preference pair (DPO, SimPER, IPO, CPO, SLiC, SimPO, ORPO): a prompt and two responses, the preferred one
/// first. Prompt, Chosen and Rejected share one <see cref="SegmentKind"/>. The reference log-probabilities, when the
/// dataset carries them (TRL's <c>ref_chosen_logps</c> / <c>ref_rejected_logps</c>), spare the reference model pass.
/// </summary>
public sealed record PreferenceExample(
    Prompt Prompt,
    Completion Chosen,
    Completion Rejected,
    double? RefChosenLogps,
    double? RefRejectedLogps,
    RowSource Source)
{
    /// <summary>
    /// The pair as two unpaired examples for KTO, as TRL's <c>unpair_preference_dataset</c> does: the chosen response
    /// is desirable, the rejected one undesirable, both with the same prompt.
    /// </summary>
    public (UnpairedExample Desirable, UnpairedExample Undesirable) Unpair() =>
        (new UnpairedExample(Prompt, Chosen, true, Source), new UnpairedExample(Prompt, Rejected, false, Source));
}

/// <summary>An unpaired example for KTO (TRL's <c>prompt</c>, <c>completion</c>, <c>label</c>).</summary>
public sealed record UnpairedExample(Prompt Prompt, Completion Completion, bool Desirable, RowSource Source);

/// <summary>
/// A supervised fine-tuning example. With a prompt, only the completion is trained on (TRL's prompt-completion
/// format). Without one (<see cref="Prompt"/> null) the example is language modelling: <see cref="Completion"/>
/// holds the whole text or the whole conversation (TRL's <c>text</c> and <c>messages</c> formats).
/// </summary>
public sealed record SftExample(Prompt? Prompt, Completion Completion, RowSource Source);
