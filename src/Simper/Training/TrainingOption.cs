using System.Globalization;

namespace Simper.Training;

/// <summary>The value type of a <see cref="TrainingOption"/>, which decides how its text is parsed.</summary>
public enum OptionKind { Integer, Number, Choice, Text, Switch }

/// <summary>
/// One trainer option: its kebab-case name (the command-line option and recipe key), value type, default, one-line
/// help and accepted range. The table in <see cref="TrainingSettings.Options"/> is the single description of all
/// options: the command line, recipes, validation and the saved settings are all generated from it.
/// </summary>
public sealed class TrainingOption
{
    private readonly Func<TrainingSettings, object> _get;
    private readonly Action<TrainingSettings, object> _set;
    private readonly Func<double, bool> _inRange;
    private readonly Func<string, bool> _textValid;

    private TrainingOption(string name, OptionKind kind, object defaultValue, string help, string expected,
        IReadOnlyList<string> choices, Func<double, bool> inRange,
        Func<TrainingSettings, object> get, Action<TrainingSettings, object> set, Func<string, bool>? textValid = null)
    {
        Name = name; Kind = kind; DefaultValue = defaultValue; Help = help; Expected = expected;
        Choices = choices; _inRange = inRange; _get = get; _set = set; _textValid = textValid ?? (_ => false);
    }

    /// <summary>Kebab-case name, as on the command line without the leading dashes (e.g. <c>learning-rate</c>).</summary>
    public string Name { get; }
    public OptionKind Kind { get; }
    /// <summary>An <c>int</c>, <c>double</c>, <c>bool</c> (Switch) or <c>string</c> (Choice and Text), by <see cref="Kind"/>.</summary>
    public object DefaultValue { get; }
    public string Help { get; }
    /// <summary>What a valid value looks like, for error messages (e.g. "an integer >= 1").</summary>
    public string Expected { get; }
    /// <summary>The accepted values of a <see cref="OptionKind.Choice"/> option; empty otherwise.</summary>
    public IReadOnlyList<string> Choices { get; }

    public object GetValue(TrainingSettings settings) => _get(settings);

    /// <summary>Sets a typed value (int, double or string by <see cref="Kind"/>) after checking its range.</summary>
    public void SetValue(TrainingSettings settings, object value, string origin)
    {
        var checkedValue = Kind switch
        {
            OptionKind.Integer when value is int i && _inRange(i) => (object)i,
            OptionKind.Number when value is double d && double.IsFinite(d) && _inRange(d) => d,
            OptionKind.Number when value is int i && _inRange(i) => (double)i,
            OptionKind.Choice when value is string s && Choices.Contains(s) => s,
            OptionKind.Text when value is string s && _textValid(s) => s,
            OptionKind.Switch when value is bool b => b,
            _ => throw Invalid(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null", origin),
        };
        _set(settings, checkedValue);
    }

    /// <summary>Parses <paramref name="text"/> (a command-line or recipe value) and sets it.</summary>
    /// <param name="origin">Where the text came from, e.g. <c>--batch-size</c> or <c>recipe.yaml:3: batch-size</c>.</param>
    public void SetText(TrainingSettings settings, string text, string origin) =>
        SetValue(settings, Parse(text) ?? throw Invalid(text, origin), origin);

    private object? Parse(string text)
    {
        text = text.Trim();
        return Kind switch
        {
            OptionKind.Integer => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : null,
            OptionKind.Number => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null,
            OptionKind.Switch => text.ToLowerInvariant() switch { "true" => true, "false" => false, _ => null },
            _ => text,
        };
    }

    /// <summary>The value as text that <see cref="SetText"/> reads back unchanged.</summary>
    public string FormatValue(TrainingSettings settings) => Format(GetValue(settings));

    public static string Format(object value) => value switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => value.ToString() ?? "",
    };

    private SimperException Invalid(string found, string origin) =>
        new($"{origin}: '{found}' is not valid for {Name}; expected {Expected}");

    internal static TrainingOption Integer(string name, int defaultValue, int min, int? max, string help,
        Func<TrainingSettings, int> get, Action<TrainingSettings, int> set) =>
        new(name, OptionKind.Integer, defaultValue, help,
            max is null ? $"an integer >= {min}" : $"an integer from {min} to {max}", [],
            v => v >= min && (max is null || v <= max), s => get(s), (s, v) => set(s, (int)v));

    internal static TrainingOption Number(string name, double defaultValue, string expected, Func<double, bool> inRange,
        string help, Func<TrainingSettings, double> get, Action<TrainingSettings, double> set) =>
        new(name, OptionKind.Number, defaultValue, help, expected, [], inRange, s => get(s), (s, v) => set(s, (double)v));

    internal static TrainingOption Choice(string name, string defaultValue, IReadOnlyList<string> choices, string help,
        Func<TrainingSettings, string> get, Action<TrainingSettings, string> set) =>
        new(name, OptionKind.Choice, defaultValue, help, "one of " + string.Join(", ", choices), choices,
            _ => true, s => get(s), (s, v) => set(s, (string)v));

    internal static TrainingOption Text(string name, string defaultValue, string expected, Func<string, bool> isValid,
        string help, Func<TrainingSettings, string> get, Action<TrainingSettings, string> set) =>
        new(name, OptionKind.Text, defaultValue, help, expected, [], _ => true, s => get(s), (s, v) => set(s, (string)v), isValid);

    internal static TrainingOption Switch(string name, bool defaultValue, string help,
        Func<TrainingSettings, bool> get, Action<TrainingSettings, bool> set) =>
        new(name, OptionKind.Switch, defaultValue, help, "true or false", ["false", "true"],
            _ => true, s => get(s), (s, v) => set(s, (bool)v));

    /// <summary>
    /// A choice among named values of a type (an enum, a dtype, a method): the option's text and saved value is the
    /// name, the setting holds the typed value.
    /// </summary>
    internal static TrainingOption Choice<T>(string name, T defaultValue, IReadOnlyList<(string Name, T Value)> choices, string help,
        Func<TrainingSettings, T> get, Action<TrainingSettings, T> set) where T : notnull
    {
        string NameOf(T value) => choices.First(c => EqualityComparer<T>.Default.Equals(c.Value, value)).Name;
        return Choice(name, NameOf(defaultValue), [.. choices.Select(c => c.Name)], help,
            s => NameOf(get(s)), (s, v) => set(s, choices.First(c => c.Name == v).Value));
    }
}
