using System.Collections;

namespace Simper.Templates;

/// <summary>
/// Jinja's Undefined: what a missing variable, key or attribute evaluates to. It is falsy, renders as the empty
/// string, iterates as empty and is not <c>defined</c>; using it any other way (its attributes, arithmetic, tojson)
/// fails with <see cref="Hint"/>, as Jinja's default Undefined does.
/// </summary>
internal sealed class Undefined(string hint)
{
    public string Hint { get; } = hint;

    public static Undefined Variable(string name) => new($"'{name}' is undefined");

    public static Undefined Missing(object? owner, string attribute) =>
        new($"'{PyFormat.TypeName(owner)} object' has no attribute '{attribute}'");
}

/// <summary>A Python tuple: a read-only list that prints with parentheses.</summary>
internal sealed class JinjaTuple(IReadOnlyList<object?> items) : IReadOnlyList<object?>
{
    public object? this[int index] => items[index];
    public int Count => items.Count;
    public IEnumerator<object?> GetEnumerator() => items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Jinja's <c>namespace(...)</c>: the one object whose attributes a template may assign.</summary>
internal sealed class Namespace
{
    public Dictionary<string, object?> Attributes { get; } = new();
}

/// <summary>Anything a template may call: globals, macros, bound string/dict methods, <c>loop.cycle</c>.</summary>
internal interface ICallable
{
    string Name { get; }
    object? Call(Renderer renderer, CallArguments args);
}

/// <summary>Evaluated call arguments, with Python-style parameter binding helpers.</summary>
internal sealed class CallArguments(List<object?> positional, Dictionary<string, object?> keywords, int line)
{
    public static readonly CallArguments Empty = new([], [], 0);

    public List<object?> Positional { get; } = positional;
    public Dictionary<string, object?> Keywords { get; } = keywords;
    public int Line { get; } = line;

    /// <summary>The argument at <paramref name="index"/> or named <paramref name="name"/>, else the default.</summary>
    public object? Get(int index, string name, object? fallback = null)
    {
        if (index < Positional.Count) return Positional[index];
        return Keywords.TryGetValue(name, out var value) ? value : fallback;
    }

    public bool Has(int index, string name) => index < Positional.Count || Keywords.ContainsKey(name);
}

/// <summary>A callable implemented in C#: a global function or a bound method of a value.</summary>
internal sealed class BuiltinFunction(string name, Func<Renderer, CallArguments, object?> body) : ICallable
{
    public string Name { get; } = name;
    public object? Call(Renderer renderer, CallArguments args) => body(renderer, args);
}
