namespace Simper.Templates;

/// <summary>
/// A sandboxed Jinja template with Python Jinja2 semantics (as configured by <see cref="JinjaOptions"/>). Parse once,
/// render many times; rendering only sees the given variables and never any .NET object.
/// </summary>
public sealed class JinjaTemplate
{
    private readonly List<Node> _nodes;
    private readonly JinjaOptions _options;

    private JinjaTemplate(List<Node> nodes, JinjaOptions options)
    {
        _nodes = nodes;
        _options = options;
    }

    /// <exception cref="TemplateException">A syntax error; the message names the line.</exception>
    public static JinjaTemplate Parse(string source, JinjaOptions? options = null)
    {
        options ??= new JinjaOptions();
        var tokens = new Lexer(source, options).Tokenize();
        return new JinjaTemplate(new Parser(tokens, options).ParseTemplate(), options);
    }

    /// <summary>Renders with the variables converted by <see cref="TemplateValues.From(object?, string)"/>.</summary>
    /// <exception cref="TemplateException">A runtime error, <c>raise_exception</c>, or an exceeded limit.</exception>
    public string Render(IReadOnlyDictionary<string, object?> variables) => Render(variables, []);

    internal string Render(IReadOnlyDictionary<string, object?> variables, IEnumerable<ICallable> extraGlobals)
    {
        var globals = new Scope(null);
        foreach (var function in Globals.Standard().Concat(extraGlobals)) globals.Set(function.Name, function);
        var scope = new Scope(globals);
        foreach (var (name, value) in variables) scope.Set(name, TemplateValues.From(value, name));
        try
        {
            return new Renderer(_options).Render(_nodes, scope);
        }
        catch (InsufficientExecutionStackException)
        {
            throw new TemplateException($"{_options.Name}: rendering nested too deeply");
        }
    }
}
