namespace Simper.Templates;

/// <summary>Filters over sequences: select/reject(attr), map, unique, sort, min/max, sum, batch.</summary>
internal static partial class Filters
{
    /// <summary>Jinja's attribute getter: "a.b.0" looks up each dotted part as an item (integers as indexes).</summary>
    private static object? AttributeOf(object? item, object? attribute)
    {
        if (attribute is long) return Access.GetItem(item, attribute);
        foreach (var part in PyFormat.Str(attribute).Split('.'))
        {
            item = Access.GetItem(item, long.TryParse(part, out var index) ? index : part);
            if (item is Undefined) break;
        }
        return item;
    }

    private static bool Passes(object? value, List<object?> testAndArgs, int offset)
    {
        if (testAndArgs.Count <= offset) return PyOps.Truthy(value);
        var name = testAndArgs[offset] as string ?? throw new JinjaError("a test name must be a string");
        return TestFunctions.Apply(name, value, testAndArgs.Skip(offset + 1).ToList());
    }

    private static object? SelectByAttribute(Renderer _, object? value, CallArguments args, bool keep)
    {
        if (args.Positional.Count == 0) throw new JinjaError("selectattr/rejectattr need an attribute name");
        var attribute = args.Positional[0];
        return PyOps.Iterate(value).Where(item => Passes(AttributeOf(item, attribute), args.Positional, 1) == keep).ToList();
    }

    private static object? Select(Renderer _, object? value, CallArguments args, bool keep) =>
        PyOps.Iterate(value).Where(item => Passes(item, args.Positional, 0) == keep).ToList();

    private static object? Map(Renderer renderer, object? value, CallArguments args)
    {
        var items = PyOps.Iterate(value);
        if (args.Keywords.TryGetValue("attribute", out var attribute))
        {
            var hasDefault = args.Keywords.TryGetValue("default", out var fallback);
            return items.Select(item => AttributeOf(item, attribute) is Undefined && hasDefault ? fallback : AttributeOf(item, attribute)).ToList();
        }
        if (args.Positional.Count == 0 || args.Positional[0] is not string filter)
            throw new JinjaError("map needs a filter name or attribute=");
        var rest = new CallArguments(args.Positional.Skip(1).ToList(), args.Keywords, args.Line);
        return items.Select(item => Apply(renderer, filter, item, rest)).ToList();
    }

    /// <summary>The key Jinja sorts and compares by: the attribute, lower-cased unless case_sensitive.</summary>
    private static Func<object?, object?> KeyFunction(CallArguments args, int caseIndex, int attributeIndex)
    {
        var caseSensitive = PyOps.Truthy(args.Get(caseIndex, "case_sensitive", false));
        var attribute = args.Get(attributeIndex, "attribute");
        return item =>
        {
            var key = attribute is null ? item : AttributeOf(item, attribute);
            return !caseSensitive && key is string s ? s.ToLowerInvariant() : key;
        };
    }

    private static object? Unique(Renderer _, object? value, CallArguments args)
    {
        var key = KeyFunction(args, 0, 1);
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (var item in PyOps.Iterate(value))
        {
            var k = key(item);
            if (seen.Any(s => PyOps.Equals(s, k))) continue;
            seen.Add(k);
            result.Add(item);
        }
        return result;
    }

    private static object? Sort(Renderer _, object? value, CallArguments args)
    {
        var key = KeyFunction(args, 1, 2);
        var comparer = Comparer<object?>.Create((a, b) => PyOps.Compare(a, b, "<"));
        var items = PyOps.Iterate(value);
        // Both orders are stable, as Python's sorted(reverse=True) is.
        return (PyOps.Truthy(args.Get(0, "reverse", false)) ? items.OrderByDescending(key, comparer) : items.OrderBy(key, comparer)).ToList();
    }

    private static object? Extreme(object? value, CallArguments args, int sign)
    {
        var key = KeyFunction(args, 0, 1);
        var items = PyOps.Iterate(value);
        if (items.Count == 0) return new Undefined("No aggregated item, sequence was empty.");
        var best = items[0];
        foreach (var item in items.Skip(1))
            if (PyOps.Compare(key(item), key(best), sign < 0 ? "<" : ">") * sign > 0) best = item;
        return best;
    }

    private static object? Sum(Renderer renderer, object? value, CallArguments args)
    {
        var attribute = args.Get(0, "attribute");
        var total = args.Get(1, "start", 0L);
        foreach (var item in PyOps.Iterate(value))
            total = PyOps.Binary("+", total, attribute is null ? item : AttributeOf(item, attribute), renderer.Options.MaxOutputLength);
        return total;
    }

    private static object? Batch(Renderer _, object? value, CallArguments args)
    {
        var size = args.Get(0, "linecount") as long? ?? throw new JinjaError("batch needs a line count");
        if (size <= 0) throw new JinjaError("batch line count must be positive");
        var fill = args.Has(1, "fill_with") ? args.Get(1, "fill_with") : null;
        var batches = new List<object?>();
        var items = PyOps.Iterate(value);
        for (var i = 0; i < items.Count; i += (int)size)
        {
            var batch = items.Skip(i).Take((int)size).ToList();
            if (args.Has(1, "fill_with")) while (batch.Count < size) batch.Add(fill);
            batches.Add(batch);
        }
        return batches;
    }
}
