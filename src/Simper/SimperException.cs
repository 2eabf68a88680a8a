namespace Simper;

/// <summary>
/// An error caused by the user's input or environment (a bad file, field or option). Its message is one line that
/// names the file, line or field, what was found and what was expected; the command line prints it without a trace.
/// </summary>
public class SimperException(string message, Exception? inner = null) : Exception(message, inner);
