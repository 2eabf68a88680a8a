using Simper.Templates;

namespace Simper.Tests.Templates;

/// <summary>
/// Language features checked against Python Jinja2 3.1 (ImmutableSandboxedEnvironment with trim_blocks,
/// lstrip_blocks and loop controls, tojson as transformers defines it): each expected string is what that reference
/// rendered for the template and <see cref="VariablesJson"/>.
/// </summary>
public static class JinjaReferenceCases
{
    public const string VariablesJson = "{\"msgs\": [{\"role\": \"system\", \"content\": \" Sys \"}, {\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Yo\"}], \"d\": {\"b\": 2, \"a\": 1, \"c\": null}, \"words\": [\"Banana\", \"apple\", \"Cherry\", \"apple\"], \"n\": 7, \"f\": 2.5, \"s\": \"Hello, World\", \"e\": [], \"t\": true, \"people\": [{\"name\": \"Ann\", \"age\": 31, \"tags\": [\"x\"]}, {\"name\": \"bob\", \"age\": 25}, {\"name\": \"Cy\", \"age\": 40, \"tags\": []}]}";

    public static TheoryData<string, string, string> All => new()
    {
        { "ws_minus", "a  {{- 'b' -}}  c\n  {%- if true -%}  d  {%- endif -%}\n  e", "abcde" },
        { "ws_trim_lstrip", "<ul>\n    {% for x in [1,2] %}\n    <li>{{ x }}</li>\n    {% endfor %}\n</ul>\n", "<ul>\n    <li>1</li>\n    <li>2</li>\n</ul>" },
        { "ws_plus", "x\n    {%+ if true %}y{% endif +%}\nz", "x\n    y\nz" },
        { "ws_comment", "a\n  {# note #}\nb {#- trim -#} c", "a\nbc" },
        { "ws_var_no_trim", "{{ 1 }}\n{{ 2 }}\n  {{ 3 }}", "1\n2\n  3" },
        { "ws_inline_block", "a {% if true %}b{% endif %} c\n", "a b c" },
        { "loop_vars", "{% for x in ['a','b','c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}", "1032TrueFalse3|2121FalseFalse3|3210FalseTrue3|" },
        { "loop_prev_next", "{% for x in [1,2,3] %}[{{ loop.previtem }},{{ loop.nextitem }}]{{ loop.cycle('o','e') }}{% endfor %}", "[,2]o[1,3]e[2,]o" },
        { "loop_else", "{% for x in e %}{{ x }}{% else %}empty{% endfor %}", "empty" },
        { "loop_filter", "{% for x in range(10) if x is odd %}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}", "1,3,5,7,9" },
        { "loop_unpack", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k, v in d|items %}{{ k }}{% endfor %}", "b=2;a=1;c=None;bac" },
        { "loop_break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x > 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", "0134" },
        { "loop_scope", "{% set z = 0 %}{% for a in [1,2] %}{% set z = a %}{{ z }}{% endfor %}{{ z }}", "120" },
        { "loop_nested", "{% for a in [1,2] %}{% for b in 'xy' %}{{ a }}{{ b }}{{ loop.index }} {% endfor %}{{ loop.index }};{% endfor %}", "1x1 1y2 1;2x1 2y2 2;" },
        { "loop_dict", "{% for k in d %}{{ k }}{% endfor %}", "bac" },
        { "namespace", "{% set ns = namespace(count=0, found=false) %}{% for m in msgs %}{% set ns.count = ns.count + 1 %}{% if m.role == 'user' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.count }} {{ ns.found }}", "3 True" },
        { "set_block", "{% set greeting %}Hi {{ s }}!{% endset %}[{{ greeting }}]{% set up | upper %}abc{% endset %}{{ up }}", "[Hi Hello, World!]ABC" },
        { "set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = (1, 'x') %}{{ t }}{{ (3,) }}", "12(1, 'x')(3,)" },
        { "arith", "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 6 / 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 10 - 2 - 3 }} {{ 2.5 * 2 }} {{ 1e3 }} {{ 0.1 + 0.2 }} {{ 1 + true }}", "3 -4 1 2 3.5 2.0 1024 0.5 7 9 5 5.0 1000.0 0.30000000000000004 2" },
        { "floats", "{{ 1.0 }} {{ 1e16 }} {{ 1e15 }} {{ 1.5e-5 }} {{ 0.0001 }} {{ 123456789.125 }} {{ -0.0 }} {{ 3.14159 }} {{ 1/3 }}", "1.0 1e+16 1000000000000000.0 1.5e-05 0.0001 123456789.125 -0.0 3.14159 0.3333333333333333" },
        { "concat", "{{ 'a' ~ 1 ~ none ~ true ~ [1] ~ undefined_thing }}|{{ 'x' + 'y' }}|{{ 'ab' * 3 }}|{{ [1] + [2] }}", "a1NoneTrue[1]|xy|ababab|[1, 2]" },
        { "compare", "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 'a' < 'b' }} {{ [1,2] < [1,3] }} {{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ none == none }} {{ 2 >= 2 }}", "True False True True True True True True" },
        { "in_ops", "{{ 'ell' in s }} {{ 'z' not in s }} {{ 2 in [1,2] }} {{ 'a' in d }} {{ 'zz' in d }} {{ not 1 in [1] }}", "True True True True False False" },
        { "logic", "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ '' and 'z' }} {{ none or [] or 0 }} {{ not none }} {{ 'yes' if t else 'no' }} {{ 'yes' if e else 'no' }}[{{ 'x' if false }}]", "x y  0 True yes no[]" },
        { "literals", "{{ 'it\\'s' }} {{ \"q\\\"q\" }} {{ 'tab\\tnl\\nuni\\u00e9\\x41' }} {{ [1, 'a', none, true, 2.0] }} {{ {'k': 'v', 'n': [1]} }} {{ True }} {{ None }} {{ 1_000 }}", "it's q\"q tab\tnl\nuniéA [1, 'a', None, True, 2.0] {'k': 'v', 'n': [1]} True None 1000" },
        { "repr_strings", "{{ [\"it's\", 'say \"hi\"', 'both \\' \"', 'back\\\\slash', 'nl\\n'] }}", "[\"it's\", 'say \"hi\"', 'both \\' \"', 'back\\\\slash', 'nl\\n']" },
        { "attr_item", "{{ msgs[0].role }} {{ msgs[0]['content'] }} {{ msgs[-1].content }} {{ d.a }} {{ d['b'] }} {{ people[0].tags[0] }} {{ msgs.0.role }}", "system  Sys  Yo 1 2 x system" },
        { "slicing", "{{ words[1:] }} {{ words[:2] }} {{ words[::-1] }} {{ words[-2:] }} {{ s[::2] }} {{ s[-5:] }} {{ s[7:-1] }} {{ words[1:3:1] }} {{ s[100:] }}|{{ [1,2,3,4,5][4:1:-2] }}", "['apple', 'Cherry', 'apple'] ['Banana', 'apple'] ['apple', 'Cherry', 'apple', 'Banana'] ['Cherry', 'apple'] Hlo ol World Worl ['apple', 'Cherry'] |[5, 3]" },
        { "undefined", "[{{ missing }}] {{ missing is defined }} {{ missing is undefined }} {{ missing|default('dflt') }} {{ none|default('x') }} {{ ''|default('y', true) }} {{ missing|length }} {{ d.nokey is defined }} {{ 'x' if missing else 'y' }} {% for x in missing %}no{% endfor %}{{ missing|trim }}|{{ msgs[10] is defined }}", "[] False True dflt None y 0 False y |False" },
        { "tests", "{{ s is string }} {{ n is number }} {{ f is number }} {{ n is integer }} {{ f is float }} {{ d is mapping }} {{ words is sequence }} {{ s is iterable }} {{ n is iterable }} {{ none is none }} {{ t is true }} {{ t is false }} {{ 4 is even }} {{ 5 is odd }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} {{ 'a' is eq 'a' }} {{ 3 is gt 2 }} {{ 2 is in [1,2] }} {{ s is not none }} {{ 'abc' is lower }} {{ range is callable }}", "True True True True True True True True False True True False True True True False True True True True True True" },
        { "str_methods", "{{ '  x y  '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ '\\n\\nA\\n'.lstrip('\\n') }}|{{ 'ab  '.rstrip() }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ s.startswith('Hell') }}|{{ s.endswith(('x','ld')) }}|{{ s.upper() }}|{{ s.lower() }}|{{ 'hello wORLD'.title() }}|{{ 'hello wORLD'.capitalize() }}|{{ s.replace('l','L') }}|{{ s.replace('l','L',1) }}|{{ '-'.join(['a','b']) }}|{{ '{} and {}'.format('x', 1) }}|{{ '{0}{name}'.format('p', name='q') }}|{{ s.find('o') }}|{{ s.count('l') }}|{{ 'a<think>b</think>c'.split('</think>')[-1] }}", "x y|hi|A\n|ab|['a', 'b', '', 'c']|['a', 'b']|['a', 'b c']|True|True|HELLO, WORLD|hello, world|Hello World|Hello world|HeLLo, WorLd|HeLlo, World|a-b|x and 1|pq|4|3|c" },
        { "dict_methods", "{{ d.keys()|list }} {{ d.values()|list }} {{ d.items()|list }} {{ d.get('a') }} {{ d.get('zz', 5) }} {{ d.get('zz') }}", "['b', 'a', 'c'] [2, 1, None] [('b', 2), ('a', 1), ('c', None)] 1 5 None" },
        { "filters_text", "{{ s|length }} {{ 'é✓'|length }} {{ words|count }} {{ words|first }} {{ words|last }} {{ words|join(', ') }} {{ '  t  '|trim }}| {{ 'xxAxx'|trim('x') }} {{ s|upper }} {{ s|lower }} {{ 'hELLO there'|capitalize }} {{ \"it's a-b (c) [d]\"|title }} {{ s|replace('o', '0') }} {{ s|wordcount }}", "12 2 4 Banana apple Banana, apple, Cherry, apple t| A HELLO, WORLD hello, world Hello there It's A-B (C) [D] Hell0, W0rld 2" },
        { "filters_conv", "{{ '42'|int }} {{ '4.7'|int }} {{ 'x'|int }} {{ 'x'|int(-1) }} {{ 3.9|int }} {{ '0x1A'|int(0, 16) }} {{ '2.5'|float }} {{ 'y'|float }} {{ 3|float }} {{ -3|abs }} {{ 2.567|round(2) }} {{ 2.5|round }} {{ 3.5|round }} {{ 2.1|round(0, 'ceil') }} {{ 7|round }} {{ 5|string ~ 'x' }} {{ [1,2]|string }} {{ 'ab'|list }} {{ d|list }}", "42 4 0 -1 3 26 2.5 0.0 3.0 3 2.57 2.0 4.0 3.0 7 5x [1, 2] ['a', 'b'] ['b', 'a', 'c']" },
        { "filters_seq", "{{ words|unique|list }} {{ words|sort }} {{ words|sort(reverse=true) }} {{ words|sort(case_sensitive=true) }} {{ words|reverse|list }} {{ 'abc'|reverse }} {{ [3,1,2]|min }} {{ [3,1,2]|max }} {{ words|max }} {{ [1,2,3]|sum }} {{ people|sum(attribute='age') }} {{ people|map(attribute='name')|join('/') }} {{ people|sort(attribute='age')|map(attribute='name')|list }} {{ ['1','2']|map('int')|sum }} {{ people|map(attribute='tags', default='none')|list }}", "['Banana', 'apple', 'Cherry'] ['apple', 'apple', 'Banana', 'Cherry'] ['Cherry', 'Banana', 'apple', 'apple'] ['Banana', 'Cherry', 'apple', 'apple'] ['apple', 'Cherry', 'apple', 'Banana'] cba 1 3 Cherry 6 96 Ann/bob/Cy ['bob', 'Ann', 'Cy'] 3 [['x'], 'none', []]" },
        { "filters_select", "{{ msgs|selectattr('role','equalto','user')|map(attribute='content')|list }} {{ msgs|rejectattr('role','eq','system')|list|length }} {{ people|selectattr('tags')|map(attribute='name')|list }} {{ people|selectattr('tags','defined')|list|length }} {{ [1,2,3,4]|select('even')|list }} {{ [0,1,'',2]|select|list }} {{ [1,2,3]|reject('gt', 1)|list }} {{ ['a','code_interpreter','b']|reject('equalto','code_interpreter')|join(', ') }}", "['Hi'] 2 ['Ann'] 2 [2, 4] [1, 2] [1] a, b" },
        { "filters_batch_indent", "{{ [1,2,3,4,5]|batch(2)|list }} {{ [1,2,3]|batch(2, 0)|list }}|{{ 'a\\nb\\n\\nc'|indent(2) }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent('>', blank=true) }}|{{ '<a href=\"x\">&\\''|e }}|{{ '<b>'|safe }}", "[[1, 2], [3, 4], [5]] [[1, 2], [3, 0]]|a\n  b\n\n  c|  a\n  b|a\n>\n>b|&lt;a href=&#34;x&#34;&gt;&amp;&#39;|<b>" },
        { "tojson", "{{ d|tojson }} {{ msgs[1]|tojson }} {{ [1, 2.0, 'é\\n\"', none, true]|tojson }} {{ people[0]|tojson(indent=2) }} {{ d|tojson(sort_keys=true) }} {{ 'é'|tojson(ensure_ascii=true) }} {{ {}|tojson(indent=4) }} {{ {'a': []}|tojson(indent=4) }} {{ d|tojson(separators=(',', ':')) }} {{ 1e20|tojson }}", "{\"b\": 2, \"a\": 1, \"c\": null} {\"role\": \"user\", \"content\": \"Hi\"} [1, 2.0, \"é\\n\\\"\", null, true] {\n  \"name\": \"Ann\",\n  \"age\": 31,\n  \"tags\": [\n    \"x\"\n  ]\n} {\"a\": 1, \"b\": 2, \"c\": null} \"\\u00e9\" {} {\n    \"a\": []\n} {\"b\":2,\"a\":1,\"c\":null} 1e+20" },
        { "macro", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', '?') }} {{ greet(punct='.', name='C') }} {{ greet() }}", "Hi A! Hi B? Hi C. Hi !" },
        { "macro_recursive", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}", "120" },
        { "call_block", "{% macro box(title) %}[{{ title }}: {{ caller() }}]{% endmacro %}{% call box('T') %}inner {{ s }}{% endcall %}{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(x) each([1,2]) %}<{{ x }}>{% endcall %}", "[T: inner Hello, World]<1><2>" },
        { "filter_block", "{% filter upper %}hello {{ s }}{% endfilter %}{% filter trim %}   pad   {% endfilter %}|", "HELLO HELLO, WORLDpad|" },
        { "dict_literal_access", "{% set map = {'string': 'str', 'number': 'float'} %}{{ map['string'] }}{{ map[['x']] is defined }}{{ map.number }}", "strFalsefloat" },
        { "range_globals", "{{ range(3)|list }} {{ range(1, 10, 3)|list }} {{ range(5, 0, -2)|list }} {{ dict(a=1) }} {{ namespace(x=1).x }}", "[0, 1, 2] [1, 4, 7] [5, 3, 1] {'a': 1} 1" },
        { "print_values", "{{ none }} {{ true }} {{ false }} {{ [] }} {{ {} }} {{ d }} {{ -5 }} {{ 10**18 }} {{ [1.5, -2.0] }}", "None True False [] {} {'b': 2, 'a': 1, 'c': None} -5 1000000000000000000 [1.5, -2.0]" },
        { "strip_edge_newlines", "\n{% if true %}\nA\n{% endif %}\n", "\nA\n" },
        { "multiline_expr", "{{ [\n  1,\n  2\n] | length }}\n{%- set x = {\n 'a': 1\n} %}{{ x.a }}", "21" },
    };
}
