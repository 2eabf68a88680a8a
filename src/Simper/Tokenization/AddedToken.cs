namespace Simper.Tokenization;

/// <summary>
/// A token matched in raw text before the model sees it, as in a Hugging Face <c>tokenizer.json</c> "added_tokens"
/// entry: special tokens (BOS, EOS, chat markers) and user-added words.
/// </summary>
public sealed record AddedToken(
    int Id, string Content, bool Special,
    bool LStrip = false, bool RStrip = false, bool SingleWord = false, bool Normalized = false);
