using System.Text;

namespace Simper.Templates;

/// <summary>
/// Python's json.dumps as Hugging Face's <c>tojson</c> filter calls it: ensure_ascii off by default, separators
/// (", ", ": ") without indent and (",", ": ") with it, floats as Python prints them, key order preserved.
/// </summary>
internal static class JsonDump
{
    public static string Dump(object? value, long? indent, object? separators, bool sortKeys, bool ensureAscii)
    {
        var (itemSeparator, keySeparator) = separators switch
        {
            IReadOnlyList<object?> { Count: 2 } pair when pair[0] is string i && pair[1] is string k => (i, k),
            null or Undefined => (indent is null ? ", " : ",", ": "),
            _ => throw new JinjaError("tojson separators must be a pair of strings"),
        };
        var sb = new StringBuilder();
        Write(sb, value, new Style(indent is null ? null : new string(' ', (int)Math.Clamp(indent.Value, 0, 64)),
            itemSeparator, keySeparator, sortKeys, ensureAscii), 0);
        return sb.ToString();
    }

    private sealed record Style(string? Indent, string ItemSeparator, string KeySeparator, bool SortKeys, bool EnsureAscii);

    private static void Write(StringBuilder sb, object? value, Style style, int depth)
    {
        if (depth > 200) throw new JinjaError("tojson: value nested too deeply");
        switch (value)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(PyFormat.Repr(l)); break;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : PyFormat.FloatRepr(d));
                break;
            case string s: WriteString(sb, s, style.EnsureAscii); break;
            case IReadOnlyList<object?> list:
                WriteContainer(sb, '[', ']', list, style, depth, (item, _) => Write(sb, item, style, depth + 1));
                break;
            case IReadOnlyDictionary<string, object?> dict:
                IEnumerable<KeyValuePair<string, object?>> pairs = style.SortKeys ? dict.OrderBy(kv => kv.Key, StringComparer.Ordinal) : dict;
                WriteContainer(sb, '{', '}', pairs.ToList(), style, depth, (pair, _) =>
                {
                    WriteString(sb, pair.Key, style.EnsureAscii);
                    sb.Append(style.KeySeparator);
                    Write(sb, pair.Value, style, depth + 1);
                });
                break;
            default: throw new JinjaError($"Object of type {PyFormat.TypeName(value)} is not JSON serializable");
        }
    }

    private static void WriteContainer<T>(StringBuilder sb, char open, char close, IReadOnlyList<T> items, Style style, int depth,
        Action<T, int> writeItem)
    {
        sb.Append(open);
        if (items.Count == 0)
        {
            sb.Append(close);
            return;
        }
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0) sb.Append(style.ItemSeparator);
            if (style.Indent != null) sb.Append('\n').Insert(sb.Length, style.Indent, depth + 1);
            writeItem(items[i], i);
        }
        if (style.Indent != null) sb.Append('\n').Insert(sb.Length, style.Indent, depth);
        sb.Append(close);
    }

    private static void WriteString(StringBuilder sb, string s, bool ensureAscii)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case < ' ': sb.Append($"\\u{(int)c:x4}"); break;
                case > '\x7f' when ensureAscii: sb.Append($"\\u{(int)c:x4}"); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }
}
