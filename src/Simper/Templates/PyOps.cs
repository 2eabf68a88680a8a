using System.Text;

namespace Simper.Templates;

/// <summary>An error raised while evaluating; the renderer adds the template line.</summary>
internal sealed class JinjaError(string message) : Exception(message);

/// <summary>Python semantics of the template operators: truthiness, equality, ordering, arithmetic, membership.</summary>
internal static class PyOps
{
    public static bool Truthy(object? value) => value switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        IReadOnlyList<object?> list => list.Count > 0,
        IReadOnlyDictionary<string, object?> dict => dict.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? v) => v is long or double or bool;

    private static double AsDouble(object? v) => v switch { long l => l, double d => d, bool b => b ? 1 : 0, _ => 0 };

    private static long AsLong(object? v) => v switch { long l => l, bool b => b ? 1 : 0, _ => 0 };

    private static bool BothIntegral(object? a, object? b) => a is long or bool && b is long or bool;

    public static new bool Equals(object? a, object? b)
    {
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (IsNumber(a) && IsNumber(b)) return BothIntegral(a, b) ? AsLong(a) == AsLong(b) : AsDouble(a) == AsDouble(b);
        switch (a)
        {
            case null: return b is null;
            case string s: return b is string t && s == t;
            case IReadOnlyList<object?> x when b is IReadOnlyList<object?> y && (x is JinjaTuple) == (y is JinjaTuple):
                return x.Count == y.Count && x.Zip(y).All(p => Equals(p.First, p.Second));
            case IReadOnlyDictionary<string, object?> x when b is IReadOnlyDictionary<string, object?> y:
                return x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var v) && Equals(kv.Value, v));
            default: return ReferenceEquals(a, b);
        }
    }

    /// <summary>Python ordering (&lt;, &gt;...): numbers, strings by code point, sequences lexicographically.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (IsNumber(a) && IsNumber(b))
            return BothIntegral(a, b) ? AsLong(a).CompareTo(AsLong(b)) : AsDouble(a).CompareTo(AsDouble(b));
        if (a is string s && b is string t) return string.CompareOrdinal(s, t) switch { < 0 => -1, > 0 => 1, _ => 0 };
        if (a is IReadOnlyList<object?> x && b is IReadOnlyList<object?> y)
        {
            for (var i = 0; i < Math.Min(x.Count, y.Count); i++)
                if (!Equals(x[i], y[i])) return Compare(x[i], y[i], op);
            return x.Count.CompareTo(y.Count);
        }
        throw new JinjaError($"'{op}' not supported between instances of '{PyFormat.TypeName(a)}' and '{PyFormat.TypeName(b)}'");
    }

    public static bool Contains(object? container, object? item) => container switch
    {
        string s when item is string t => s.Contains(t, StringComparison.Ordinal),
        string => throw new JinjaError($"'in <string>' requires string as left operand, not {PyFormat.TypeName(item)}"),
        IReadOnlyList<object?> list => list.Any(x => Equals(x, item)),
        IReadOnlyDictionary<string, object?> dict => item is string k && dict.ContainsKey(k),
        Undefined => false,
        _ => throw new JinjaError($"argument of type '{PyFormat.TypeName(container)}' is not iterable"),
    };

    /// <summary>The items a for loop or a filter walks: list elements, dict keys, string characters.</summary>
    public static IReadOnlyList<object?> Iterate(object? value) => value switch
    {
        IReadOnlyList<object?> list => list,
        IReadOnlyDictionary<string, object?> dict => dict.Keys.Cast<object?>().ToList(),
        string s => Chars(s),
        Undefined => [],
        _ => throw new JinjaError($"'{PyFormat.TypeName(value)}' object is not iterable"),
    };

    /// <summary>A string's characters as Python sees them: one per code point.</summary>
    public static List<object?> Chars(string s) => s.EnumerateRunes().Select(r => (object?)r.ToString()).ToList();

    public static long Length(object? value) => value switch
    {
        string s => s.EnumerateRunes().Count(),
        IReadOnlyList<object?> list => list.Count,
        IReadOnlyDictionary<string, object?> dict => dict.Count,
        Namespace ns => ns.Attributes.Count,
        Undefined => 0,
        _ => throw new JinjaError($"object of type '{PyFormat.TypeName(value)}' has no len()"),
    };

    public static object? Binary(string op, object? a, object? b, int maxLength)
    {
        if (a is Undefined u) throw new JinjaError(u.Hint);
        if (b is Undefined v) throw new JinjaError(v.Hint);
        try
        {
            return op switch
            {
                "+" => Add(a, b, maxLength),
                "-" when IsNumber(a) && IsNumber(b) => BothIntegral(a, b) ? (object)checked(AsLong(a) - AsLong(b)) : AsDouble(a) - AsDouble(b),
                "*" => Multiply(a, b, maxLength),
                "/" when IsNumber(a) && IsNumber(b) => AsDouble(b) == 0 ? throw new JinjaError("division by zero") : AsDouble(a) / AsDouble(b),
                "//" when IsNumber(a) && IsNumber(b) => FloorDivide(a, b),
                "%" when IsNumber(a) && IsNumber(b) => Modulo(a, b),
                "**" when IsNumber(a) && IsNumber(b) => Power(a, b),
                _ => throw Unsupported(op, a, b),
            };
        }
        catch (OverflowException)
        {
            throw new JinjaError($"integer overflow in '{op}'");
        }
    }

    private static JinjaError Unsupported(string op, object? a, object? b) =>
        new($"unsupported operand type(s) for {op}: '{PyFormat.TypeName(a)}' and '{PyFormat.TypeName(b)}'");

    private static object? Add(object? a, object? b, int maxLength)
    {
        if (IsNumber(a) && IsNumber(b)) return BothIntegral(a, b) ? (object)checked(AsLong(a) + AsLong(b)) : AsDouble(a) + AsDouble(b);
        if (a is string s)
        {
            if (b is not string t) throw new JinjaError($"can only concatenate str (not \"{PyFormat.TypeName(b)}\") to str");
            CheckLength((long)s.Length + t.Length, maxLength);
            return s + t;
        }
        if (a is IReadOnlyList<object?> x && b is IReadOnlyList<object?> y && (x is JinjaTuple) == (y is JinjaTuple))
        {
            CheckLength((long)x.Count + y.Count, maxLength);
            var joined = x.Concat(y).ToList();
            return x is JinjaTuple ? new JinjaTuple(joined) : joined;
        }
        throw Unsupported("+", a, b);
    }

    private static object? Multiply(object? a, object? b, int maxLength)
    {
        if (IsNumber(a) && IsNumber(b)) return BothIntegral(a, b) ? (object)checked(AsLong(a) * AsLong(b)) : AsDouble(a) * AsDouble(b);
        if (b is string or IReadOnlyList<object?> && a is long or bool) (a, b) = (b, a);
        if (b is not (long or bool)) throw Unsupported("*", a, b);
        var times = Math.Max(0, AsLong(b));
        switch (a)
        {
            case string s:
                CheckLength(s.Length * times, maxLength);
                return new StringBuilder().Insert(0, s, (int)times).ToString();
            case IReadOnlyList<object?> list:
                CheckLength(list.Count * times, maxLength);
                var repeated = Enumerable.Repeat(list, (int)times).SelectMany(x => x).ToList();
                return list is JinjaTuple ? new JinjaTuple(repeated) : repeated;
            default: throw Unsupported("*", a, b);
        }
    }

    private static object FloorDivide(object? a, object? b)
    {
        if (AsDouble(b) == 0) throw new JinjaError("integer division or modulo by zero");
        if (!BothIntegral(a, b)) return Math.Floor(AsDouble(a) / AsDouble(b));
        long x = AsLong(a), y = AsLong(b);
        var q = x / y;
        return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q;
    }

    private static object Modulo(object? a, object? b)
    {
        if (AsDouble(b) == 0) throw new JinjaError("integer division or modulo by zero");
        if (!BothIntegral(a, b))
        {
            double x = AsDouble(a), y = AsDouble(b), r = x % y;
            return r != 0 && (r < 0) != (y < 0) ? r + y : r;
        }
        long p = AsLong(a), m = AsLong(b), rest = p % m;
        return rest != 0 && (rest < 0) != (m < 0) ? rest + m : rest;
    }

    private static object Power(object? a, object? b)
    {
        if (BothIntegral(a, b) && AsLong(b) >= 0)
        {
            long result = 1, factor = AsLong(a);
            for (var e = AsLong(b); e > 0; e >>= 1)
            {
                if ((e & 1) == 1) result = checked(result * factor);
                if (e > 1) factor = checked(factor * factor);
            }
            return result;
        }
        return Math.Pow(AsDouble(a), AsDouble(b));
    }

    public static void CheckLength(long length, int maxLength)
    {
        if (length > maxLength) throw new JinjaError($"a value of {length} items exceeds the limit of {maxLength}");
    }
}
