namespace Simper.Data;

/// <summary>
/// One chat message as Hugging Face chat templates take it (<c>{"role", "content"}</c>). Roles are the template
/// roles: <c>system</c>, <c>user</c>, <c>assistant</c>, <c>tool</c>.
/// </summary>
public sealed record Message(string Role, string Content);
