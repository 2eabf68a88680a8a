using System.Text.Json;
using System.Text.Json.Nodes;
using Simper.Templates;

namespace Simper.Tests.Templates;

public class JinjaTemplateTests
{
    private static readonly IReadOnlyDictionary<string, object?> Variables =
        (IReadOnlyDictionary<string, object?>)TemplateValues.FromJson(JsonDocument.Parse(JinjaReferenceCases.VariablesJson).RootElement)!;

    private static string Render(string source, IReadOnlyDictionary<string, object?>? variables = null, JinjaOptions? options = null) =>
        JinjaTemplate.Parse(source, options).Render(variables ?? new Dictionary<string, object?>());

    [Theory]
    [MemberData(nameof(JinjaReferenceCases.All), MemberType = typeof(JinjaReferenceCases))]
    public void RendersLikePythonJinja2(string feature, string source, string expected)
    {
        Assert.False(string.IsNullOrEmpty(feature));
        Assert.Equal(expected, Render(source, Variables));
    }

    [Fact]
    public void GenerationBlocksRenderTheirBody()
    {
        var source = "{% for m in msgs %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}" +
                     "{% else %}{{ m.role }}{% endif %};{% endfor %}";
        Assert.Equal("system;user;Yo;", Render(source, Variables));
    }

    [Theory]
    [InlineData("line1\n{{ 1 + }}", "template line 2: expected an expression, found end of print statement")]
    [InlineData("a\n\n{% for a in b %}", "template line 3: unexpected end of template, expected 'else' or 'endfor' to close the 'for' block opened on line 3")]
    [InlineData("{% if x %}\n{% foo %}{% endif %}", "template line 2: unknown tag 'foo' (expected 'elif' or 'else' or 'endif')")]
    [InlineData("x\n{{ 'open }}", "template line 2: unterminated string literal")]
    [InlineData("{# never closed", "template line 1: missing end of comment tag '#}'")]
    [InlineData("{% break %}", "template line 1: 'break' outside of a for loop")]
    [InlineData("\n\n{{ a b }}", "template line 3: expected end of print statement, found 'b'")]
    public void SyntaxErrorsNameTheLine(string source, string message)
    {
        var error = Assert.Throws<TemplateException>(() => JinjaTemplate.Parse(source));
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("{{ foo.bar }}", "template line 1: 'foo' is undefined")]
    [InlineData("\n{{ d.missing.x }}", "template line 2: 'dict object' has no attribute 'missing'")]
    [InlineData("{{ missing + 1 }}", "template line 1: 'missing' is undefined")]
    [InlineData("{{ 'a' + 1 }}", "template line 1: can only concatenate str (not \"int\") to str")]
    [InlineData("{{ 5 // 0 }}", "template line 1: integer division or modulo by zero")]
    [InlineData("{{ words.append('x') }}", "template line 1: access to attribute 'append' of 'list object' is unsafe.")]
    [InlineData("{{ missing|tojson }}", "template line 1: Object of type Undefined is not JSON serializable")]
    [InlineData("{{ s|nosuchfilter }}", "template line 1: no filter named 'nosuchfilter'")]
    [InlineData("{% set x = 1 %}{% set x.y = 2 %}", "template line 1: cannot assign attribute on non-namespace object")]
    [InlineData("{% for a, b in [1] %}{% endfor %}", "template line 1: cannot unpack non-iterable int object")]
    public void RuntimeErrorsFollowJinjaAndNameTheLine(string source, string message)
    {
        var error = Assert.Throws<TemplateException>(() => Render(source, Variables));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void AnUnknownFilterInABranchNotTakenIsNoError()
    {
        Assert.Equal("", Render("{% if false %}{{ x|nosuchfilter }}{% endif %}"));
    }

    [Fact]
    public void RaiseExceptionFailsWithExactlyTheTemplatesMessage()
    {
        var template = new ChatTemplate("{% if messages|length > 1 %}{{ raise_exception('Only ' ~ 1 ~ ' message!') }}{% endif %}ok", null, null);
        Assert.Equal("ok", template.Render([new ChatMessage("user", "a")], false));
        var error = Assert.Throws<TemplateException>(() => template.Render([new ChatMessage("user", "a"), new ChatMessage("user", "b")], false));
        Assert.Equal("Only 1 message!", error.Message);
    }

    [Fact]
    public void StepLimitStopsRunawayLoops()
    {
        var options = new JinjaOptions { MaxSteps = 1_000 };
        var error = Assert.Throws<TemplateException>(() =>
            Render("{% for a in range(100) %}{% for b in range(100) %}{{ b }}{% endfor %}{% endfor %}", options: options));
        Assert.Equal("template line 1: rendering exceeded the limit of 1000 steps", error.Message);
    }

    [Fact]
    public void OutputLimitStopsHugeOutputs()
    {
        var options = new JinjaOptions { MaxOutputLength = 100 };
        Assert.Equal(new string('x', 100), Render("{{ 'x' * 100 }}", options: options));
        var error = Assert.Throws<TemplateException>(() => Render("{{ 'x' * 101 }}", options: options));
        Assert.Equal("template line 1: a value of 101 items exceeds the limit of 100", error.Message);
        error = Assert.Throws<TemplateException>(() => Render("{% for i in range(60) %}ab{% endfor %}", options: options));
        Assert.Equal("template line 1: output exceeded the limit of 100 characters", error.Message);
    }

    [Fact]
    public void RecursionLimitStopsEndlessMacros()
    {
        var error = Assert.Throws<TemplateException>(() =>
            Render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", options: new JinjaOptions { MaxRecursionDepth = 20 }));
        Assert.Equal("template line 1: macro calls nested deeper than 20 levels", error.Message);
    }

    [Fact]
    public void RangeIsBoundedAsInJinjasSandbox()
    {
        Assert.Equal("100000", Render("{{ range(100000)|length }}"));
        var error = Assert.Throws<TemplateException>(() => Render("{{ range(100001)|length }}"));
        Assert.Equal("template line 1: range too big: the sandbox blocks ranges larger than 100000", error.Message);
    }

    [Fact]
    public void DeeplyNestedExpressionsAreRejectedWhileParsing()
    {
        var source = "{{ " + new string('(', 500) + "1" + new string(')', 500) + " }}";
        var error = Assert.Throws<TemplateException>(() => JinjaTemplate.Parse(source));
        Assert.Equal("template line 1: expression nested deeper than 100 levels", error.Message);
    }

    [Fact]
    public void NetObjectsOutsideTheValueModelCannotBePassedIn()
    {
        var error = Assert.Throws<TemplateException>(() =>
            Render("{{ x }}", new Dictionary<string, object?> { ["x"] = new Uri("http://example.com") }));
        Assert.Equal("template variable 'x' has type Uri; templates accept strings, numbers, booleans, null, lists and string-keyed dictionaries",
            error.Message);
        // Ordinary .NET collections and numbers are converted, not exposed.
        var converted = new Dictionary<string, object?>
        {
            ["list"] = new[] { 1, 2 },
            ["map"] = new Dictionary<string, string> { ["k"] = "v" },
            ["f"] = 0.5f,
            ["msg"] = new ChatMessage("user", "hi") { Extra = new Dictionary<string, object?> { ["name"] = "ann" } },
        };
        Assert.Equal("[1, 2] {'k': 'v'} 0.5 {'role': 'user', 'content': 'hi', 'name': 'ann'} False",
            Render("{{ list }} {{ map }} {{ f }} {{ msg }} {{ list.GetType is defined }}", converted));
    }

    [Fact]
    public void JsonConvertsLikePythonsJsonLoads()
    {
        const string json = """{"i": 3, "f": 3.0, "e": 1e2, "s": "é", "n": null, "b": true, "l": [1, {"k": []}]}""";
        var fromElement = TemplateValues.FromJson(JsonDocument.Parse(json).RootElement);
        var fromNode = TemplateValues.FromJson(JsonNode.Parse(json));
        const string source = "{{ v }} {{ v.i is integer }} {{ v.f is float }} {{ v|tojson }}";
        const string expected = "{'i': 3, 'f': 3.0, 'e': 100.0, 's': 'é', 'n': None, 'b': True, 'l': [1, {'k': []}]} True True " +
                                "{\"i\": 3, \"f\": 3.0, \"e\": 100.0, \"s\": \"é\", \"n\": null, \"b\": true, \"l\": [1, {\"k\": []}]}";
        Assert.Equal(expected, Render(source, new Dictionary<string, object?> { ["v"] = fromElement }));
        Assert.Equal(expected, Render(source, new Dictionary<string, object?> { ["v"] = fromNode }));
    }

    [Fact]
    public void StrftimeNowFormatsTheClockLikePython()
    {
        var clock = new FixedClock(new DateTimeOffset(2025, 3, 9, 14, 5, 7, TimeSpan.Zero));
        var template = new ChatTemplate("{{ strftime_now('%d %b %Y|%A %B %j|%H:%M:%S %I%p|%y-%m-%d %%') }}", null, null) { Clock = clock };
        Assert.Equal("09 Mar 2025|Sunday March 068|14:05:07 02PM|25-03-09 %", template.Render([], false));
    }

    [Fact]
    public void ChatTemplateDefinesTheVariablesTransformersPasses()
    {
        var template = new ChatTemplate(
            "{{ bos_token }}|{{ eos_token }}|{{ tools is none }}|{{ documents is none }}|{{ add_generation_prompt }}|{{ pad_token is defined }}|{{ extra }}|{{ messages[0].content }}",
            "<s>", null, new Dictionary<string, object?> { ["extra"] = 42 });
        Assert.Equal("<s>||True|True|True|False|42|hi", template.Render([new ChatMessage("user", "hi")], true));
        Assert.Equal("<s>||True|True|False|False|7|x",
            template.Render(new Dictionary<string, object?>
            {
                ["messages"] = new[] { new Dictionary<string, object?> { ["role"] = "user", ["content"] = "x" } },
                ["extra"] = 7,
            }));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }
}
