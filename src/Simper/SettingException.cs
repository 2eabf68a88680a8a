namespace Simper;

/// <summary>
/// A user error about a setting, named as the library names it (snake_case, as in recipes and Hugging Face's
/// configs: <c>max_length</c>). The message marks each setting as «name», so a front end can name its own spelling
/// instead (the command line says <c>--max-length</c>); <see cref="Exception.Message"/> uses the setting names.
/// </summary>
public sealed class SettingException(string template, Exception? inner = null)
    : SimperException(Describe(template, name => name), inner)
{
    /// <summary>The message with each «setting» written as <paramref name="name"/> spells it.</summary>
    public string Describe(Func<string, string> name) => Describe(template, name);

    private static string Describe(string template, Func<string, string> name)
    {
        var text = new System.Text.StringBuilder();
        int at = 0;
        while (template.IndexOf('«', at) is var open and >= 0 && template.IndexOf('»', open) is var close and > 0)
        {
            text.Append(template, at, open - at).Append(name(template[(open + 1)..close]));
            at = close + 1;
        }
        return text.Append(template, at, template.Length - at).ToString();
    }
}
