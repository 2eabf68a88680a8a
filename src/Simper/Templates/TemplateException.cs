namespace Simper.Templates;

/// <summary>
/// A template that cannot be parsed, that fails while rendering, that calls <c>raise_exception(message)</c>, or that
/// exceeds a sandbox limit. For <c>raise_exception</c> the Message is exactly the template's own message (as Hugging
/// Face raises it); every other message names the template line.
/// </summary>
public class TemplateException(string message, int? line = null, Exception? inner = null) : SimperException(message, inner)
{
    /// <summary>The 1-based template line the error was found on, when known.</summary>
    public int? Line { get; } = line;

    internal static TemplateException At(JinjaOptions options, int line, string what) =>
        new($"{options.Name} line {line}: {what}", line);
}
