namespace Simper.Templates;

/// <summary>
/// Jinja's attribute and item lookup. <c>x.name</c> tries an attribute (a method of str/dict/list) first, then the
/// item; <c>x[key]</c> tries the item first, then the attribute. So <c>message.role</c> equals <c>message['role']</c>.
/// A missing name is Undefined; methods that mutate are refused as Hugging Face's immutable sandbox refuses them.
/// </summary>
internal static class Access
{
    private static readonly HashSet<string> MutatingMethods =
        ["append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear", "update", "setdefault", "popitem", "add", "discard"];

    public static object? GetAttribute(object? owner, string name)
    {
        switch (owner)
        {
            case Undefined u: throw new JinjaError(u.Hint);
            case Namespace ns: return ns.Attributes.TryGetValue(name, out var value) ? value : Undefined.Missing(owner, name);
            case LoopContext loop: return loop.Get(name);
        }
        if (owner is IReadOnlyList<object?> or IReadOnlyDictionary<string, object?> && MutatingMethods.Contains(name))
            return new Undefined($"access to attribute '{name}' of '{PyFormat.TypeName(owner)} object' is unsafe.");
        var method = Methods.Find(owner, name);
        if (method != null) return method;
        if (owner is IReadOnlyDictionary<string, object?> dict && dict.TryGetValue(name, out var item)) return item;
        return Undefined.Missing(owner, name);
    }

    public static object? GetItem(object? owner, object? key)
    {
        switch (owner)
        {
            case Undefined u: throw new JinjaError(u.Hint);
            case IReadOnlyDictionary<string, object?> dict when key is string k:
                return dict.TryGetValue(k, out var value) ? value : GetAttribute(owner, k);
            case IReadOnlyList<object?> list when key is long or bool:
                var index = Normalize(AsIndex(key), list.Count);
                return index >= 0 && index < list.Count ? list[index]
                    : new Undefined($"'{PyFormat.TypeName(owner)} object' has no element {PyFormat.Repr(key)}");
            case string s when key is long or bool:
                var chars = PyOps.Chars(s);
                var at = Normalize(AsIndex(key), chars.Count);
                return at >= 0 && at < chars.Count ? chars[at] : new Undefined($"'str object' has no element {PyFormat.Repr(key)}");
        }
        return key is string name ? GetAttribute(owner, name)
            : new Undefined($"'{PyFormat.TypeName(owner)} object' has no element {PyFormat.Repr(key)}");
    }

    private static long AsIndex(object? key) => key is bool b ? (b ? 1 : 0) : (long)key!;

    private static int Normalize(long index, int count) =>
        index < 0 ? (int)Math.Max(-1, index + count) : (int)Math.Min(index, int.MaxValue);

    /// <summary>Python slicing <c>x[start:stop:step]</c> of a list, tuple or string (by code point).</summary>
    public static object? Slice(object? owner, object? start, object? stop, object? step)
    {
        if (owner is Undefined u) throw new JinjaError(u.Hint);
        var items = owner switch
        {
            string s => PyOps.Chars(s),
            IReadOnlyList<object?> list => list,
            _ => throw new JinjaError($"'{PyFormat.TypeName(owner)}' object is not subscriptable"),
        };
        var stride = step is null ? 1 : SliceBound(step);
        if (stride == 0) throw new JinjaError("slice step cannot be zero");
        var count = items.Count;
        long first, end;
        if (stride > 0)
        {
            first = start is null ? 0 : Clamp(SliceBound(start), count, 0, count);
            end = stop is null ? count : Clamp(SliceBound(stop), count, 0, count);
        }
        else
        {
            first = start is null ? count - 1 : Clamp(SliceBound(start), count, -1, count - 1);
            end = stop is null ? -1 : Clamp(SliceBound(stop), count, -1, count - 1);
        }
        var picked = new List<object?>();
        for (var i = first; stride > 0 ? i < end : i > end; i += stride) picked.Add(items[(int)i]);
        return owner switch
        {
            string => string.Concat(picked.Cast<string>()),
            JinjaTuple => new JinjaTuple(picked),
            _ => picked,
        };
    }

    private static long SliceBound(object? value) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new JinjaError("slice indices must be integers or None"),
    };

    private static long Clamp(long index, int count, long low, long high)
    {
        if (index < 0) index += count;
        return Math.Clamp(index, low, high);
    }
}
