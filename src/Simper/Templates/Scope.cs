namespace Simper.Templates;

/// <summary>
/// Variables visible at one point of a render. A for loop body and a macro call get their own scope, so a
/// <c>set</c> inside them does not leak out (Jinja's rule); if-blocks share their parent's scope.
/// </summary>
internal sealed class Scope(Scope? parent)
{
    private readonly Dictionary<string, object?> _variables = new();

    public bool TryGet(string name, out object? value)
    {
        for (var scope = this; scope != null; scope = scope.Parent)
            if (scope._variables.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }

    public Scope? Parent { get; } = parent;

    public void Set(string name, object? value) => _variables[name] = value;
}

/// <summary>The <c>loop</c> variable of a for loop.</summary>
internal sealed class LoopContext(IReadOnlyList<object?> items)
{
    public int Index0 { get; set; }
    public long Index => Index0 + 1;
    public long Length => items.Count;

    public object? Get(string attribute) => attribute switch
    {
        "index" => Index,
        "index0" => (long)Index0,
        "revindex" => Length - Index0,
        "revindex0" => Length - Index0 - 1,
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => Length,
        "depth" => 1L,
        "depth0" => 0L,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new Undefined("there is no previous item"),
        "nextitem" => Index0 + 1 < items.Count ? items[Index0 + 1] : new Undefined("there is no next item"),
        "cycle" => new BuiltinFunction("cycle", (_, args) => args.Positional.Count == 0
            ? throw new JinjaError("no items for cycling given")
            : args.Positional[Index0 % args.Positional.Count]),
        _ => Undefined.Missing(this, attribute),
    };
}

/// <summary>A macro (or the body of a call block, passed to the macro as <c>caller</c>).</summary>
internal sealed class Macro(string name, List<Parameter> parameters, List<Node> body, Scope closure) : ICallable
{
    public string Name { get; } = name;
    public List<Parameter> Parameters { get; } = parameters;
    public List<Node> Body { get; } = body;
    public Scope Closure { get; } = closure;

    public object? Call(Renderer renderer, CallArguments args) => renderer.CallMacro(this, args, caller: null);
}
