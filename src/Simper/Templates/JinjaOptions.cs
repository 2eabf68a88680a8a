namespace Simper.Templates;

/// <summary>
/// Parsing and sandbox settings. The defaults are those Hugging Face transformers uses for chat templates
/// (trim_blocks and lstrip_blocks on, a single trailing newline of the source dropped) plus resource limits, so a
/// hostile template cannot loop or allocate without bound.
/// </summary>
public sealed record JinjaOptions
{
    /// <summary>What error messages call the template, e.g. a file name.</summary>
    public string Name { get; init; } = "template";

    /// <summary>Remove the first newline after a block or comment tag.</summary>
    public bool TrimBlocks { get; init; } = true;

    /// <summary>Strip spaces and tabs from the start of a line up to a block or comment tag.</summary>
    public bool LstripBlocks { get; init; } = true;

    /// <summary>Keep a single newline that ends the source (Jinja drops it by default).</summary>
    public bool KeepTrailingNewline { get; init; }

    /// <summary>Most characters one render may produce (also bounds any single string built while rendering).</summary>
    public int MaxOutputLength { get; init; } = 4_000_000;

    /// <summary>Most statements, loop iterations and calls one render may execute.</summary>
    public long MaxSteps { get; init; } = 2_000_000;

    /// <summary>Deepest nesting of macro calls (and of parsed expressions).</summary>
    public int MaxRecursionDepth { get; init; } = 100;

    /// <summary>Largest sequence <c>range()</c> may produce (Jinja's sandbox uses the same bound).</summary>
    public int MaxRange { get; init; } = 100_000;
}
