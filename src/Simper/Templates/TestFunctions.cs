namespace Simper.Templates;

/// <summary>Jinja's tests (<c>x is defined</c>, <c>x is divisibleby 3</c>, <c>x is eq y</c>...).</summary>
internal static class TestFunctions
{
    private static readonly Dictionary<string, Func<object?, List<object?>, bool>> All = new()
    {
        ["defined"] = (v, _) => v is not Undefined,
        ["undefined"] = (v, _) => v is Undefined,
        ["none"] = (v, _) => v is null,
        ["boolean"] = (v, _) => v is bool,
        ["true"] = (v, _) => v is true,
        ["false"] = (v, _) => v is false,
        ["integer"] = (v, _) => v is long,
        ["float"] = (v, _) => v is double,
        ["number"] = (v, _) => PyOps.IsNumber(v),
        ["string"] = (v, _) => v is string,
        ["mapping"] = (v, _) => v is IReadOnlyDictionary<string, object?>,
        // Jinja's Undefined can be iterated (as empty) and measured, so it counts as iterable and as a sequence.
        ["iterable"] = (v, _) => v is string or IReadOnlyList<object?> or IReadOnlyDictionary<string, object?> or Undefined,
        ["sequence"] = (v, _) => v is string or IReadOnlyList<object?> or IReadOnlyDictionary<string, object?> or Undefined,
        ["callable"] = (v, _) => v is ICallable,
        ["odd"] = (v, _) => PyOps.Equals(PyOps.Binary("%", Integer(v), 2L, 0), 1L),
        ["even"] = (v, _) => PyOps.Equals(PyOps.Binary("%", Integer(v), 2L, 0), 0L),
        ["divisibleby"] = (v, a) => PyOps.Equals(PyOps.Binary("%", v, Argument(a, "divisibleby"), 0), 0L),
        ["eq"] = (v, a) => PyOps.Equals(v, Argument(a, "eq")),
        ["equalto"] = (v, a) => PyOps.Equals(v, Argument(a, "equalto")),
        ["=="] = (v, a) => PyOps.Equals(v, Argument(a, "==")),
        ["ne"] = (v, a) => !PyOps.Equals(v, Argument(a, "ne")),
        ["!="] = (v, a) => !PyOps.Equals(v, Argument(a, "!=")),
        ["lt"] = (v, a) => PyOps.Compare(v, Argument(a, "lt"), "<") < 0,
        ["lessthan"] = (v, a) => PyOps.Compare(v, Argument(a, "lessthan"), "<") < 0,
        ["<"] = (v, a) => PyOps.Compare(v, Argument(a, "<"), "<") < 0,
        ["le"] = (v, a) => PyOps.Compare(v, Argument(a, "le"), "<=") <= 0,
        ["<="] = (v, a) => PyOps.Compare(v, Argument(a, "<="), "<=") <= 0,
        ["gt"] = (v, a) => PyOps.Compare(v, Argument(a, "gt"), ">") > 0,
        ["greaterthan"] = (v, a) => PyOps.Compare(v, Argument(a, "greaterthan"), ">") > 0,
        [">"] = (v, a) => PyOps.Compare(v, Argument(a, ">"), ">") > 0,
        ["ge"] = (v, a) => PyOps.Compare(v, Argument(a, "ge"), ">=") >= 0,
        [">="] = (v, a) => PyOps.Compare(v, Argument(a, ">="), ">=") >= 0,
        ["in"] = (v, a) => PyOps.Contains(Argument(a, "in"), v),
        ["lower"] = (v, _) => PyFormat.Str(v) is var s && s.Any(char.IsLower) && !s.Any(char.IsUpper),
        ["upper"] = (v, _) => PyFormat.Str(v) is var s && s.Any(char.IsUpper) && !s.Any(char.IsLower),
        ["sameas"] = (v, a) => Argument(a, "sameas") is var other && (v is null or bool ? Equals(v, other) : ReferenceEquals(v, other)),
    };

    public static bool Apply(string name, object? value, List<object?> args) =>
        All.TryGetValue(name, out var test) ? test(value, args) : throw new JinjaError($"no test named '{name}'");

    private static object? Argument(List<object?> args, string test) =>
        args.Count > 0 ? args[0] : throw new JinjaError($"test '{test}' needs an argument");

    private static object? Integer(object? value) =>
        value is long or bool ? value : throw new JinjaError($"odd/even expect an integer, got '{PyFormat.TypeName(value)}'");
}
