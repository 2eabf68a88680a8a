using System.Globalization;
using System.Text;

namespace Simper.Templates;

/// <summary>Python's str() and repr() of template values, which is what Jinja prints.</summary>
internal static class PyFormat
{
    public static string Str(object? value) => value switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(value),
    };

    public static string Repr(object? value)
    {
        switch (value)
        {
            case null: return "None";
            case bool b: return b ? "True" : "False";
            case long l: return l.ToString(CultureInfo.InvariantCulture);
            case double d: return FloatRepr(d);
            case string s: return StringRepr(s);
            case Undefined: return "";
            case JinjaTuple t:
                return t.Count == 1 ? $"({Repr(t[0])},)" : "(" + string.Join(", ", t.Select(Repr)) + ")";
            case IReadOnlyList<object?> list: return "[" + string.Join(", ", list.Select(Repr)) + "]";
            case IReadOnlyDictionary<string, object?> dict:
                return "{" + string.Join(", ", dict.Select(kv => StringRepr(kv.Key) + ": " + Repr(kv.Value))) + "}";
            case Namespace ns: return "<Namespace " + Repr(ns.Attributes) + ">";
            case LoopContext loop: return $"<LoopContext {loop.Index}/{loop.Length}>";
            case ICallable f: return $"<function {f.Name}>";
            default: return value.GetType().Name;
        }
    }

    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        Undefined => "Undefined",
        JinjaTuple => "tuple",
        IReadOnlyList<object?> => "list",
        IReadOnlyDictionary<string, object?> => "dict",
        Namespace => "Namespace",
        LoopContext => "LoopContext",
        ICallable => "function",
        _ => value.GetType().Name,
    };

    /// <summary>Python's repr(float): the shortest digits that round-trip, fixed notation for 1e-4 &lt;= |x| &lt; 1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        // "R" yields the shortest round-trip digits, the same digits Python's repr chooses.
        var (digits, pointPosition) = DecimalDigits(Math.Abs(d).ToString("R", CultureInfo.InvariantCulture));
        var sign = d < 0 ? "-" : "";
        if (pointPosition <= -4 || pointPosition > 16)
        {
            var exponent = pointPosition - 1;
            var mantissa = digits.Length > 1 ? digits[0] + "." + digits[1..] : digits;
            return $"{sign}{mantissa}e{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}";
        }
        if (pointPosition <= 0) return sign + "0." + new string('0', -pointPosition) + digits;
        if (pointPosition >= digits.Length) return sign + digits + new string('0', pointPosition - digits.Length) + ".0";
        return sign + digits[..pointPosition] + "." + digits[pointPosition..];
    }

    /// <summary>Significant digits of a positive number's text and where the point goes: value = 0.DIGITS × 10^point.</summary>
    private static (string Digits, int Point) DecimalDigits(string text)
    {
        var exponent = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text[(e + 1)..], CultureInfo.InvariantCulture);
            text = text[..e];
        }
        var dot = text.IndexOf('.');
        var intPart = dot < 0 ? text : text[..dot];
        var all = intPart + (dot < 0 ? "" : text[(dot + 1)..]);
        var point = intPart.Length + exponent;
        var leading = all.Length - all.TrimStart('0').Length;
        all = all.Trim('0');
        return (all.Length == 0 ? "0" : all, point - leading);
    }

    public static string StringRepr(string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder(s.Length + 2).Append(quote);
        foreach (var rune in s.EnumerateRunes())
        {
            var c = rune.Value;
            if (c == '\\') sb.Append("\\\\");
            else if (c == quote) sb.Append('\\').Append(quote);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (c < 0x20 || (c >= 0x7f && c <= 0xa0)) sb.Append($"\\x{c:x2}");
            else if (c > 0x7f && !IsPrintable(rune)) sb.Append(c <= 0xffff ? $"\\u{c:x4}" : $"\\U{c:x8}");
            else sb.Append(rune.ToString());
        }
        return sb.Append(quote).ToString();
    }

    private static bool IsPrintable(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => false,
        UnicodeCategory.SpaceSeparator => rune.Value == ' ',
        _ => true,
    };
}
