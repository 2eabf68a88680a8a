using System.Globalization;
using System.Text;

namespace Simper.Templates;

/// <summary>The read-only Python methods templates call on strings, dicts and lists, bound to their receiver.</summary>
internal static class Methods
{
    public static ICallable? Find(object? owner, string name)
    {
        Func<CallArguments, object?>? body = owner switch
        {
            string s => StringMethod(s, name),
            IReadOnlyDictionary<string, object?> d => DictMethod(d, name),
            IReadOnlyList<object?> l => ListMethod(l, name),
            _ => null,
        };
        return body is null ? null : new BuiltinFunction($"{PyFormat.TypeName(owner)}.{name}", (_, args) => body(args));
    }

    private static Func<CallArguments, object?>? DictMethod(IReadOnlyDictionary<string, object?> d, string name) => name switch
    {
        "items" => _ => d.Select(kv => (object?)new JinjaTuple([kv.Key, kv.Value])).ToList(),
        "keys" => _ => d.Keys.Cast<object?>().ToList(),
        "values" => _ => d.Values.ToList(),
        "get" => a => a.Get(0, "key") is string k && d.TryGetValue(k, out var v) ? v : a.Get(1, "default"),
        _ => null,
    };

    private static Func<CallArguments, object?>? ListMethod(IReadOnlyList<object?> l, string name) => name switch
    {
        "index" => a =>
        {
            for (var i = 0; i < l.Count; i++) if (PyOps.Equals(l[i], a.Get(0, "value"))) return (long)i;
            throw new JinjaError($"{PyFormat.Repr(a.Get(0, "value"))} is not in list");
        },
        "count" => a => (long)l.Count(x => PyOps.Equals(x, a.Get(0, "value"))),
        _ => null,
    };

    private static Func<CallArguments, object?>? StringMethod(string s, string name) => name switch
    {
        "strip" => a => Strip(s, a.Get(0, "chars"), left: true, right: true),
        "lstrip" => a => Strip(s, a.Get(0, "chars"), left: true, right: false),
        "rstrip" => a => Strip(s, a.Get(0, "chars"), left: false, right: true),
        "split" => a => Split(s, a.Get(0, "sep"), MaxSplit(a), fromRight: false),
        "rsplit" => a => Split(s, a.Get(0, "sep"), MaxSplit(a), fromRight: true),
        "splitlines" => _ => SplitLines(s).Cast<object?>().ToList(),
        "startswith" => a => Affixes(a.Get(0, "prefix")).Any(p => s.StartsWith(p, StringComparison.Ordinal)),
        "endswith" => a => Affixes(a.Get(0, "suffix")).Any(p => s.EndsWith(p, StringComparison.Ordinal)),
        "upper" => _ => s.ToUpperInvariant(),
        "lower" => _ => s.ToLowerInvariant(),
        "title" => _ => Title(s),
        "capitalize" => _ => Capitalize(s),
        "replace" => a => Replace(s, Text(a.Get(0, "old")), Text(a.Get(1, "new")), a.Get(2, "count", -1L) as long? ?? -1),
        "format" => a => Format(s, a),
        "join" => a => string.Join(s, PyOps.Iterate(a.Get(0, "iterable")).Select(x =>
            x as string ?? throw new JinjaError($"sequence item: expected str instance, {PyFormat.TypeName(x)} found"))),
        "find" => a => (long)s.IndexOf(Text(a.Get(0, "sub")), StringComparison.Ordinal),
        "rfind" => a => (long)s.LastIndexOf(Text(a.Get(0, "sub")), StringComparison.Ordinal),
        "count" => a => (long)CountOf(s, Text(a.Get(0, "sub"))),
        "isdigit" => _ => s.Length > 0 && s.All(char.IsDigit),
        "isalpha" => _ => s.Length > 0 && s.All(char.IsLetter),
        "isalnum" => _ => s.Length > 0 && s.All(char.IsLetterOrDigit),
        "isspace" => _ => s.Length > 0 && s.All(char.IsWhiteSpace),
        "islower" => _ => s.Any(char.IsLower) && !s.Any(char.IsUpper),
        "isupper" => _ => s.Any(char.IsUpper) && !s.Any(char.IsLower),
        _ => null,
    };

    private static string Text(object? value) =>
        value as string ?? throw new JinjaError($"expected a string argument, got '{PyFormat.TypeName(value)}'");

    private static long MaxSplit(CallArguments a) => a.Get(1, "maxsplit", -1L) as long? ?? -1;

    private static IEnumerable<string> Affixes(object? value) => value switch
    {
        string s => [s],
        IReadOnlyList<object?> list => list.Select(Text),
        _ => throw new JinjaError($"startswith/endswith expect a string or a tuple of strings, got '{PyFormat.TypeName(value)}'"),
    };

    public static string Strip(string s, object? chars, bool left, bool right)
    {
        Func<char, bool> strip = chars switch
        {
            null or Undefined => char.IsWhiteSpace,
            string set => set.Contains,
            _ => throw new JinjaError($"strip arg must be None or str, not {PyFormat.TypeName(chars)}"),
        };
        int start = 0, end = s.Length;
        if (left) while (start < end && strip(s[start])) start++;
        if (right) while (end > start && strip(s[end - 1])) end--;
        return s[start..end];
    }

    private static List<object?> Split(string s, object? separator, long maxSplit, bool fromRight)
    {
        var limit = (int)Math.Min(maxSplit < 0 ? int.MaxValue - 1 : maxSplit, int.MaxValue - 1);
        if (separator is null or Undefined)
        {
            var words = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length <= limit + 1) return words.Cast<object?>().ToList();
            // With a limit, the unsplit remainder keeps its inner whitespace, as in Python.
            return fromRight
                ? SplitWhitespaceFromRight(s, limit)
                : SplitWhitespaceFromLeft(s, limit);
        }
        var sep = Text(separator);
        if (sep.Length == 0) throw new JinjaError("empty separator");
        var parts = s.Split(sep);
        if (parts.Length <= limit + 1) return parts.Cast<object?>().ToList();
        return fromRight
            ? [string.Join(sep, parts[..^limit]), .. parts[^limit..]]
            : [.. parts[..limit], string.Join(sep, parts[limit..])];
    }

    private static List<object?> SplitWhitespaceFromLeft(string s, int limit)
    {
        var result = new List<object?>();
        var rest = s.TrimStart();
        while (result.Count < limit && rest.Length > 0)
        {
            var end = 0;
            while (end < rest.Length && !char.IsWhiteSpace(rest[end])) end++;
            result.Add(rest[..end]);
            rest = rest[end..].TrimStart();
        }
        if (rest.Length > 0) result.Add(rest);
        return result;
    }

    private static List<object?> SplitWhitespaceFromRight(string s, int limit)
    {
        var result = new List<object?>();
        var rest = s.TrimEnd();
        while (result.Count < limit && rest.Length > 0)
        {
            var start = rest.Length;
            while (start > 0 && !char.IsWhiteSpace(rest[start - 1])) start--;
            result.Insert(0, rest[start..]);
            rest = rest[..start].TrimEnd();
        }
        if (rest.Length > 0) result.Insert(0, rest);
        return result;
    }

    /// <summary>Python's str.splitlines(): every line boundary Python knows, without the boundaries.</summary>
    public static List<string> SplitLines(string s)
    {
        var lines = new List<string>();
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c is not ('\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')) continue;
            lines.Add(s[start..i]);
            if (c == '\r' && i + 1 < s.Length && s[i + 1] == '\n') i++;
            start = i + 1;
        }
        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    /// <summary>Python's str.title(): a letter after a non-letter is upper-cased, every other letter lower-cased.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        var previousCased = false;
        foreach (var c in s)
        {
            sb.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousCased = char.IsLetter(c);
        }
        return sb.ToString();
    }

    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    public static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0 && old.Length > 0) return s.Replace(old, replacement, StringComparison.Ordinal);
        if (old.Length == 0)
        {
            // Python inserts the replacement before every character and at the end ("ab" -> "-a-b-").
            var slots = PyOps.Chars(s).Cast<string>().ToList();
            var n = count < 0 ? slots.Count + 1 : (int)Math.Min(count, slots.Count + 1);
            var text = new StringBuilder();
            for (var i = 0; i < slots.Count; i++) text.Append(i < n ? replacement : "").Append(slots[i]);
            return text.Append(n > slots.Count ? replacement : "").ToString();
        }
        var sb = new StringBuilder();
        var at = 0;
        for (var n = 0; n < count; n++)
        {
            var found = s.IndexOf(old, at, StringComparison.Ordinal);
            if (found < 0 || old.Length == 0) break;
            sb.Append(s, at, found - at).Append(replacement);
            at = found + old.Length;
        }
        return sb.Append(s, at, s.Length - at).ToString();
    }

    private static int CountOf(string s, string sub)
    {
        if (sub.Length == 0) return PyOps.Chars(s).Count + 1;
        var n = 0;
        for (var i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>str.format with {} / {0} / {name} fields and {{ }} escapes; format specs are not supported.</summary>
    private static string Format(string template, CallArguments args)
    {
        var sb = new StringBuilder();
        var auto = 0;
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '}' && i + 1 < template.Length && template[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c != '{') { sb.Append(c); continue; }
            if (i + 1 < template.Length && template[i + 1] == '{') { sb.Append('{'); i++; continue; }
            var close = template.IndexOf('}', i);
            if (close < 0) throw new JinjaError("single '{' encountered in format string");
            var field = template[(i + 1)..close];
            if (field.Contains(':') || field.Contains('!')) throw new JinjaError($"format field '{{{field}}}' uses an unsupported format spec");
            object? value = field.Length == 0 ? Positional(args, auto++)
                : int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? Positional(args, n)
                : args.Keywords.TryGetValue(field, out var named) ? named : throw new JinjaError($"format field '{field}' has no value");
            sb.Append(PyFormat.Str(value));
            i = close;
        }
        return sb.ToString();
    }

    private static object? Positional(CallArguments args, int index) =>
        index < args.Positional.Count ? args.Positional[index] : throw new JinjaError("format string refers to a missing argument");
}
