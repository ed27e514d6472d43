using Engine.Models.Chat;

namespace Engine.Tests.Tokenizers;

/// <summary>The Jinja features chat templates rely on, each on a tiny template with an obvious result.</summary>
public class JinjaSubsetTests
{
    static string R(string template, Dictionary<string, object?>? vars = null, params ChatMessage[] messages) =>
        new ChatTemplate(template).Render(messages, false, vars);

    static Dictionary<string, object?> V(params (string, object?)[] kv) => kv.ToDictionary(p => p.Item1, p => p.Item2);

    [Theory]
    [InlineData("{{ 'a' ~ 1 ~ none }}", "a1None")]
    [InlineData("{{ 'a' + 'b' }}{{ 1 + 2 * 3 }}{{ 7 // 2 }}{{ 7 % 3 }}{{ -7 % 3 }}", "ab7312")]
    [InlineData("{{ '  x  ' | trim }}|{{ 'Ab' | upper }}{{ 'Ab' | lower }}", "x|ABab")]
    [InlineData("{{ [1, 2, 3] | length }}{{ 'abcd' | length }}{{ [4, 5] | first }}{{ [4, 5] | last }}", "3445")]
    [InlineData("{{ ['a', 'b'] | join(', ') }}", "a, b")]
    [InlineData("{{ x | default('d') }}{{ none | default('d') }}{{ '' | default('e', true) }}", "dNonee")]
    [InlineData("{{ 5 | string ~ 'x' }}{{ true }}", "5xTrue")]
    [InlineData("{{ {'b': 1, 'a': [true, none, 'q\"']} | tojson }}", "{\"b\": 1, \"a\": [true, null, \"q\\\"\"]}")]
    [InlineData("{{ 'abcdef'[1:3] }}{{ 'abcdef'[-2:] }}{{ [1,2,3,4][::2] }}{{ 'abc'[::-1] }}", "bcef[1, 3]cba")]
    [InlineData("{{ ' a b '.strip() }}|{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith('x') }}|{{ 'a,b'.split(',') }}|{{ 'a  b'.split() | length }}", "a b|TrueFalse|['a', 'b']|2")]
    [InlineData("{{ {'k': 'v'}.get('k') }}{{ {'k': 'v'}.get('z', 'w') }}{{ {'k': 'v'}.get('z') }}", "vwNone")]
    [InlineData("{% for k, v in {'a': 1, 'b': 2} | items %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;")]
    [InlineData("{% for k, v in {'a': 1, 'b': 2}.items() if k != 'a' %}{{ k }}{{ loop.length }}{% endfor %}", "b1")]
    [InlineData("{% for x in [10, 20, 30] %}{{ loop.index0 }}{{ loop.index }}{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %},{% endfor %}", "01F,12,23L,")]
    [InlineData("{% for x in [] %}x{% else %}empty{% endfor %}", "empty")]
    [InlineData("{% if 1 > 2 %}a{% elif 'b' in 'abc' %}b{% else %}c{% endif %}", "b")]
    [InlineData("{{ 'x' if 'z' not in ['a'] else 'y' }}{{ 'q' if false }}", "x")]
    [InlineData("{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", "6")]
    [InlineData("{% set v = 1 %}{% for i in [1] %}{% set v = 2 %}{% endfor %}{{ v }}", "1")]
    [InlineData("{% for i in range(5) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}", "02")]
    [InlineData("{{ x is defined }}{{ none is none }}{{ 'a' is string }}{{ {} is mapping }}{{ [] is mapping }}{{ 3 is not string }}", "FalseTrueTrueTrueFalseTrue")]
    [InlineData("{# a comment #}a{#- trimmed -#}   b", "ab")]
    [InlineData("a   {{- 'b' -}}   c", "abc")]
    [InlineData("{{ [{'r': 'u'}, {'r': 'a'}, {'r': 'u'}] | selectattr('r', 'equalto', 'u') | list | length }}", "2")]
    [InlineData("{{ ['a', 'code_interpreter', 'b'] | reject('equalto', 'code_interpreter') | join(', ') }}", "a, b")]
    [InlineData("{{ [{'n': 'x'}, {'n': 'y'}] | map(attribute='n') | join }}", "xy")]
    [InlineData("{{ \"it's\" ~ 'a\\tb\\n' }}", "it'sa\tb\n")]
    public void Expressions_AndStatements(string template, string expected) => Assert.Equal(expected, R(template));

    [Fact]
    public void TrimBlocks_AndLstripBlocks_AsInTransformers()
    {
        // trim_blocks drops the newline after a block tag; lstrip_blocks drops indentation before one.
        const string t = "{% for m in messages %}\n    {% if m.role == 'user' %}\n[{{ m.content }}]\n    {% endif %}\n{% endfor %}\nend";
        Assert.Equal("[a]\n[c]\nend", R(t, null, new("user", "a"), new("assistant", "b"), new("user", "c")));
    }

    [Fact]
    public void RaiseException_BecomesChatTemplateException_WithTheMessage()
    {
        var ex = Assert.Throws<ChatTemplateException>(() => R("{{ raise_exception('bad roles') }}"));
        Assert.Equal("bad roles", ex.Message);
    }

    [Fact]
    public void StrftimeNow_UsesTheDateGivenInExtra()
    {
        var now = new DateTime(2026, 3, 5, 14, 7, 0);
        Assert.Equal("05 Mar 2026|Thursday 5 March", R("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%A') }} {{ strftime_now('%d') | int }} {{ strftime_now('%B') }}", V(("now", now))));
    }

    [Fact]
    public void UnsupportedConstructs_FailClearly()
    {
        var ex = Assert.Throws<ChatTemplateException>(() => R("{% macro m() %}x{% endmacro %}"));
        Assert.Contains("macro", ex.Message);
        Assert.Throws<ChatTemplateException>(() => R("{% if x %}no end"));
        Assert.Throws<ChatTemplateException>(() => R("{{ 'a' | nosuchfilter }}"));
        Assert.Throws<ChatTemplateException>(() => R("{{ 'a' + 1 }}"));
    }
}
