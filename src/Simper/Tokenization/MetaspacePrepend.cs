namespace Simper.Tokenization;

/// <summary>When a SentencePiece-style tokenizer puts "▁" before a piece of text (Hugging Face's prepend_scheme).</summary>
internal enum MetaspacePrepend
{
    /// <summary>Before every piece of text between added tokens (SentencePiece's add_dummy_prefix, legacy Llama).</summary>
    Always,
    /// <summary>Only before the start of the whole input.</summary>
    First,
    Never,
}
