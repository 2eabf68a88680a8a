using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Simper.Templates;

/// <summary>
/// Jinja's built-in filters used by chat templates, with Jinja's argument names and defaults. <c>tojson</c> is the
/// one Hugging Face installs: json.dumps with ensure_ascii=False and Python's separators, no HTML escaping.
/// </summary>
internal static partial class Filters
{
    private delegate object? Filter(Renderer renderer, object? input, CallArguments args);

    private static readonly Dictionary<string, Filter> All = new()
    {
        ["length"] = (_, v, _) => PyOps.Length(v),
        ["count"] = (_, v, _) => PyOps.Length(v),
        ["first"] = (_, v, _) => PyOps.Iterate(v) is { Count: > 0 } l ? l[0] : new Undefined("No first item, sequence was empty."),
        ["last"] = (_, v, _) => PyOps.Iterate(v) is { Count: > 0 } l ? l[^1] : new Undefined("No last item, sequence was empty."),
        ["join"] = Join,
        ["trim"] = (_, v, a) => Methods.Strip(PyFormat.Str(v), a.Get(0, "chars"), left: true, right: true),
        ["upper"] = (_, v, _) => PyFormat.Str(v).ToUpperInvariant(),
        ["lower"] = (_, v, _) => PyFormat.Str(v).ToLowerInvariant(),
        ["capitalize"] = (_, v, _) => Methods.Capitalize(PyFormat.Str(v)),
        ["title"] = (_, v, _) => Title(PyFormat.Str(v)),
        ["replace"] = (_, v, a) => Methods.Replace(PyFormat.Str(v), PyFormat.Str(a.Get(0, "old")), PyFormat.Str(a.Get(1, "new")),
            a.Get(2, "count") as long? ?? -1),
        ["default"] = Default,
        ["d"] = Default,
        ["list"] = (_, v, _) => PyOps.Iterate(v).ToList(),
        ["string"] = (_, v, _) => PyFormat.Str(v),
        ["int"] = (_, v, a) => ToInt(v, a),
        ["float"] = (_, v, a) => ToFloat(v) ?? a.Get(0, "default", 0.0),
        ["abs"] = (_, v, _) => v switch
        {
            long l => (object)Math.Abs(l),
            double d => Math.Abs(d),
            bool b => b ? 1L : 0L,
            _ => throw new JinjaError($"bad operand type for abs(): '{PyFormat.TypeName(v)}'"),
        },
        ["round"] = Round,
        ["tojson"] = (_, v, a) => JsonDump.Dump(v, a.Get(1, "indent") as long?, a.Get(2, "separators"),
            PyOps.Truthy(a.Get(3, "sort_keys", false)), PyOps.Truthy(a.Get(0, "ensure_ascii", false))),
        ["items"] = (_, v, _) => v switch
        {
            IReadOnlyDictionary<string, object?> d => d.Select(kv => (object?)new JinjaTuple([kv.Key, kv.Value])).ToList(),
            Undefined => new List<object?>(),
            _ => throw new JinjaError("Can only get item pairs from a mapping."),
        },
        ["indent"] = Indent,
        ["safe"] = (_, v, _) => v,
        ["escape"] = (_, v, _) => Escape(PyFormat.Str(v)),
        ["e"] = (_, v, _) => Escape(PyFormat.Str(v)),
        ["wordcount"] = (_, v, _) => (long)Regex.Matches(PyFormat.Str(v), @"\w+").Count,
        ["selectattr"] = (r, v, a) => SelectByAttribute(r, v, a, keep: true),
        ["rejectattr"] = (r, v, a) => SelectByAttribute(r, v, a, keep: false),
        ["select"] = (r, v, a) => Select(r, v, a, keep: true),
        ["reject"] = (r, v, a) => Select(r, v, a, keep: false),
        ["map"] = Map,
        ["unique"] = Unique,
        ["sort"] = Sort,
        ["reverse"] = (_, v, _) => v is string s ? string.Concat(PyOps.Chars(s).Cast<string>().Reverse())
            : PyOps.Iterate(v).Reverse().ToList(),
        ["min"] = (_, v, a) => Extreme(v, a, sign: -1),
        ["max"] = (_, v, a) => Extreme(v, a, sign: 1),
        ["sum"] = Sum,
        ["batch"] = Batch,
    };

    public static object? Apply(Renderer renderer, string name, object? input, CallArguments args) =>
        All.TryGetValue(name, out var filter) ? filter(renderer, input, args) : throw new JinjaError($"no filter named '{name}'");

    private static object? Default(Renderer _, object? value, CallArguments args)
    {
        var useFallback = value is Undefined || (PyOps.Truthy(args.Get(1, "boolean", false)) && !PyOps.Truthy(value));
        return useFallback ? args.Get(0, "default_value", "") : value;
    }

    private static object? Join(Renderer renderer, object? value, CallArguments args)
    {
        var items = PyOps.Iterate(value);
        if (args.Get(1, "attribute") is { } attribute and not Undefined)
            items = items.Select(item => AttributeOf(item, attribute)).ToList();
        var text = string.Join(PyFormat.Str(args.Get(0, "d", "")), items.Select(PyFormat.Str));
        PyOps.CheckLength(text.Length, renderer.Options.MaxOutputLength);
        return text;
    }

    /// <summary>Jinja's title filter: capitalizes each word, where words start after whitespace, '-', or an opening bracket.</summary>
    private static string Title(string s) =>
        string.Concat(Regex.Split(s, @"([-\s({\[<]+)").Where(w => w.Length > 0)
            .Select(w => char.ToUpperInvariant(w[0]) + w[1..].ToLowerInvariant()));

    private static object? ToInt(object? value, CallArguments args)
    {
        var fallback = args.Get(0, "default", 0L);
        switch (value)
        {
            case long or bool: return value is bool b ? (b ? 1L : 0L) : value;
            case double d: return double.IsFinite(d) && Math.Abs(d) < 9.2e18 ? (long)Math.Truncate(d) : fallback;
            case string s:
                var text = s.Trim().Replace("_", "");
                var numberBase = args.Get(1, "base", 10L) as long? ?? 10;
                try
                {
                    if (numberBase == 10 && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
                    if (numberBase is 2 or 8 or 16) return Convert.ToInt64(text, (int)numberBase);
                }
                catch (Exception e) when (e is FormatException or OverflowException or ArgumentException) { return fallback; }
                return ToFloat(s) is double parsed && Math.Abs(parsed) < 9.2e18 ? (long)Math.Truncate(parsed) : fallback;
            default: return fallback;
        }
    }

    private static double? ToFloat(object? value) => value switch
    {
        double d => d,
        long l => l,
        bool b => b ? 1 : 0,
        string s when s.Trim().ToLowerInvariant() is "inf" or "+inf" or "infinity" => double.PositiveInfinity,
        string s when s.Trim().ToLowerInvariant() is "-inf" or "-infinity" => double.NegativeInfinity,
        string s when s.Trim().ToLowerInvariant() is "nan" => double.NaN,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    private static object? Round(Renderer _, object? value, CallArguments args)
    {
        var precision = (int)(args.Get(0, "precision", 0L) as long? ?? 0);
        var method = PyFormat.Str(args.Get(1, "method", "common"));
        if (value is long or bool && method == "common") return value is bool b ? (b ? 1L : 0L) : value;
        var x = ToFloat(value) is double d && value is not string ? d
            : throw new JinjaError($"round expects a number, got '{PyFormat.TypeName(value)}'");
        var scale = Math.Pow(10, precision);
        return method switch
        {
            "common" => Math.Round(x, Math.Clamp(precision, 0, 15), MidpointRounding.ToEven),
            "ceil" => Math.Ceiling(x * scale) / scale,
            "floor" => Math.Floor(x * scale) / scale,
            _ => throw new JinjaError("method must be common, ceil or floor"),
        };
    }

    private static object? Indent(Renderer renderer, object? value, CallArguments args)
    {
        var width = args.Get(0, "width", 4L);
        var indentation = width as string ?? new string(' ', (int)Math.Clamp(width as long? ?? 4, 0, 1000));
        var lines = Methods.SplitLines(PyFormat.Str(value) + "\n");
        string result;
        if (PyOps.Truthy(args.Get(2, "blank", false))) result = string.Join("\n" + indentation, lines);
        else
        {
            result = lines.Count > 0 ? lines[0] : "";
            if (lines.Count > 1)
                result += "\n" + string.Join("\n", lines.Skip(1).Select(line => line.Length > 0 ? indentation + line : line));
        }
        if (PyOps.Truthy(args.Get(1, "first", false))) result = indentation + result;
        PyOps.CheckLength(result.Length, renderer.Options.MaxOutputLength);
        return result;
    }

    private static string Escape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
            sb.Append(c switch { '&' => "&amp;", '<' => "&lt;", '>' => "&gt;", '"' => "&#34;", '\'' => "&#39;", _ => c.ToString() });
        return sb.ToString();
    }
}
