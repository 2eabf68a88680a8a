using System.Globalization;
using System.Text;

namespace Simper.Templates;

/// <summary>Functions a template can call without being given them.</summary>
internal static class Globals
{
    /// <summary>Jinja's own globals: range (bounded as in Jinja's sandbox), namespace, dict.</summary>
    public static IEnumerable<ICallable> Standard()
    {
        yield return new BuiltinFunction("range", Range);
        yield return new BuiltinFunction("namespace", (_, args) =>
        {
            var ns = new Namespace();
            if (args.Positional.Count > 0 && args.Positional[0] is IReadOnlyDictionary<string, object?> initial)
                foreach (var (key, value) in initial) ns.Attributes[key] = value;
            foreach (var (key, value) in args.Keywords) ns.Attributes[key] = value;
            return ns;
        });
        yield return new BuiltinFunction("dict", (_, args) => new Dictionary<string, object?>(args.Keywords));
    }

    /// <summary>
    /// The globals Hugging Face adds for chat templates: <c>raise_exception(message)</c>, which fails the render
    /// with exactly that message, and <c>strftime_now(format)</c>, the local time formatted like Python's strftime.
    /// </summary>
    public static IEnumerable<ICallable> HuggingFace(TimeProvider clock)
    {
        yield return new BuiltinFunction("raise_exception", (_, args) =>
            throw new TemplateException(PyFormat.Str(args.Get(0, "message", ""))));
        yield return new BuiltinFunction("strftime_now", (_, args) =>
            Strftime(clock.GetLocalNow().DateTime, PyFormat.Str(args.Get(0, "format", ""))));
    }

    private static object? Range(Renderer renderer, CallArguments args)
    {
        var numbers = args.Positional.Select(a => a as long? ?? (a is bool b ? (b ? 1 : 0)
            : throw new JinjaError($"range() arguments must be integers, not '{PyFormat.TypeName(a)}'"))).ToList();
        var (start, stop, step) = numbers.Count switch
        {
            1 => (0L, numbers[0], 1L),
            2 => (numbers[0], numbers[1], 1L),
            3 => (numbers[0], numbers[1], numbers[2]),
            _ => throw new JinjaError("range expected 1 to 3 integer arguments"),
        };
        if (step == 0) throw new JinjaError("range() arg 3 must not be zero");
        var count = step > 0 ? Math.Max(0, (stop - start + step - 1) / step) : Math.Max(0, (start - stop - step - 1) / -step);
        if (count > renderer.Options.MaxRange)
            throw new JinjaError($"range too big: the sandbox blocks ranges larger than {renderer.Options.MaxRange}");
        var items = new List<object?>((int)count);
        for (var i = 0L; i < count; i++) items.Add(start + i * step);
        return items;
    }

    /// <summary>Python's strftime directives (C locale).</summary>
    public static string Strftime(DateTime time, string format)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                sb.Append(format[i]);
                continue;
            }
            var directive = format[++i];
            sb.Append(directive switch
            {
                'd' => time.ToString("dd", c),
                'e' => time.Day.ToString(c).PadLeft(2),
                'm' => time.ToString("MM", c),
                'Y' => time.ToString("yyyy", c),
                'y' => time.ToString("yy", c),
                'b' or 'h' => time.ToString("MMM", c),
                'B' => time.ToString("MMMM", c),
                'a' => time.ToString("ddd", c),
                'A' => time.ToString("dddd", c),
                'H' => time.ToString("HH", c),
                'I' => time.ToString("hh", c),
                'M' => time.ToString("mm", c),
                'S' => time.ToString("ss", c),
                'p' => time.Hour < 12 ? "AM" : "PM",
                'j' => time.DayOfYear.ToString("000", c),
                'w' => ((int)time.DayOfWeek).ToString(c),
                'f' => (time.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", c),
                'F' => time.ToString("yyyy-MM-dd", c),
                'T' => time.ToString("HH:mm:ss", c),
                '%' => "%",
                _ => "%" + directive,
            });
        }
        return sb.ToString();
    }
}
