using System.Globalization;
using System.Text;

namespace Engine.Models.Chat.Jinja;

/// <summary>Jinja filters and tests used by real chat templates.</summary>
static class Filters
{
    public static object? Apply(string name, object? v, List<object?> args, Dictionary<string, object?> kwargs)
    {
        object? Arg(int i, string kw, object? dflt = null) => kwargs.TryGetValue(kw, out var k) ? k : i < args.Count ? args[i] : dflt;
        switch (name)
        {
            case "trim": return Str(v, name).Trim();
            case "upper": return Str(v, name).ToUpperInvariant();
            case "lower": return Str(v, name).ToLowerInvariant();
            case "capitalize": { var s = Str(v, name); return s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant(); }
            case "title": return Title(Str(v, name));
            case "string": return Rt.ToStr(v);
            case "length" or "count":
                return v switch
                {
                    string s => (long)s.Length,
                    List<object?> l => (long)l.Count,
                    IDictionary<string, object?> d => (long)d.Count,
                    Undefined or null => 0L,
                    _ => throw new ChatTemplateException($"chat template: |length of {Rt.TypeName(v)}"),
                };
            case "default" or "d":
            {
                bool boolean = Rt.Truthy(Arg(1, "boolean", false));
                return v is Undefined || (boolean && !Rt.Truthy(v)) ? Arg(0, "default_value", "") : v;
            }
            case "first": { var l = Rt.Iterate(v); return l.Count > 0 ? l[0] : Undefined.Instance; }
            case "last": { var l = Rt.Iterate(v); return l.Count > 0 ? l[^1] : Undefined.Instance; }
            case "list": return Rt.Iterate(v).ToList();
            case "reverse": return v is string rs ? new string(rs.Reverse().ToArray()) : Enumerable.Reverse(Rt.Iterate(v)).ToList();
            case "join":
            {
                string sep = Arg(0, "d", "") as string ?? "";
                var items = Rt.Iterate(v);
                if (Arg(1, "attribute") is string attr) items = items.Select(i => Rt.GetAttr(i, attr)).ToList();
                return string.Join(sep, items.Select(Rt.ToStr));
            }
            case "items":
                return v is IDictionary<string, object?> d2 ? d2.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList()
                    : v is Undefined or null ? new List<object?>() : throw new ChatTemplateException($"chat template: |items of {Rt.TypeName(v)}");
            case "tojson":
            {
                int? indent = Arg(0, "indent") is long n ? (int)n : null;
                var sb = new StringBuilder();
                WriteJson(sb, v, indent, 0, Rt.Truthy(Arg(3, "sort_keys", false)));
                return sb.ToString();
            }
            case "replace": return Str(v, name).Replace(Str(Arg(0, "old"), name), Str(Arg(1, "new"), name));
            case "int": return v switch { long l => l, double d => (long)d, string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) => p, _ => Arg(0, "default", 0L) };
            case "float": return v switch { long l => (double)l, double d => d, string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) => p, _ => Arg(0, "default", 0.0) };
            case "abs": return v switch { long l => Math.Abs(l), double d => Math.Abs(d), _ => v };
            case "unique":
            {
                var result = new List<object?>();
                foreach (var x in Rt.Iterate(v)) if (!result.Any(r => Rt.Equals(r, x))) result.Add(x);
                return result;
            }
            case "select" or "reject":
            {
                string test = Arg(0, "", "") as string ?? "";
                var testArgs = args.Skip(1).ToList();
                bool keep = name == "select";
                return Rt.Iterate(v).Where(x => (test.Length == 0 ? Rt.Truthy(x) : Test(test, x, testArgs)) == keep).ToList();
            }
            case "selectattr" or "rejectattr":
            {
                string attr = Str(Arg(0, ""), name);
                string? test = args.Count > 1 ? args[1] as string : null;
                var testArgs = args.Skip(2).ToList();
                bool keep = name == "selectattr";
                return Rt.Iterate(v).Where(x =>
                {
                    var a = Rt.GetAttr(x, attr);
                    return (test is null ? Rt.Truthy(a) : Test(test, a, testArgs)) == keep;
                }).ToList();
            }
            case "map":
            {
                if (Arg(-1, "attribute") is string attr)
                    return Rt.Iterate(v).Select(x => Rt.GetAttr(x, attr) is var r && r is Undefined && kwargs.TryGetValue("default", out var dv) ? dv : Rt.GetAttr(x, attr)).ToList();
                string filter = Str(Arg(0, ""), name);
                return Rt.Iterate(v).Select(x => Apply(filter, x, args.Skip(1).ToList(), [])).ToList();
            }
            case "indent":
            {
                int width = Arg(0, "width", 4L) is long w ? (int)w : 4;
                bool first = Rt.Truthy(Arg(1, "first", false));
                string pad = new(' ', width);
                var lines = Str(v, name).Split('\n');
                for (int i = 0; i < lines.Length; i++)
                    if ((i > 0 || first) && lines[i].Length > 0) lines[i] = pad + lines[i];
                return string.Join("\n", lines);
            }
            case "safe" or "e" or "escape": return v;
            default: throw new ChatTemplateException($"chat template: filter '{name}' is not supported");
        }
    }

    static string Str(object? v, string filter) => v switch
    {
        string s => s,
        Undefined => "",
        _ => Rt.ToStr(v),
    };

    public static bool Test(string name, object? v, List<object?> args) => name switch
    {
        "defined" => v is not Undefined,
        "undefined" => v is Undefined,
        "none" => v is null,
        "string" => v is string,
        "mapping" => v is IDictionary<string, object?>,
        "iterable" => v is string or List<object?> or IDictionary<string, object?>,
        "sequence" => v is string or List<object?> or IDictionary<string, object?>,
        "number" => v is long or double,
        "integer" => v is long,
        "float" => v is double,
        "boolean" => v is bool,
        "true" => v is true,
        "false" => v is false,
        "callable" => v is JinjaFunction,
        "odd" => v is long l && l % 2 != 0,
        "even" => v is long e && e % 2 == 0,
        "divisibleby" => v is long x && args.Count > 0 && args[0] is long y && y != 0 && x % y == 0,
        "equalto" or "eq" or "==" or "sameas" => args.Count > 0 && Rt.Equals(v, args[0]),
        "ne" or "!=" => args.Count > 0 && !Rt.Equals(v, args[0]),
        "in" => args.Count > 0 && (bool)Rt.Binary("in", v, args[0])!,
        "lower" => v is string ls && ls == ls.ToLowerInvariant(),
        "upper" => v is string us && us == us.ToUpperInvariant(),
        _ => throw new ChatTemplateException($"chat template: test '{name}' is not supported"),
    };

    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool start = true;
        foreach (char c in s)
        {
            sb.Append(start ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            start = !char.IsLetterOrDigit(c);
        }
        return sb.ToString();
    }

    /// <summary>Python's "%s" formatting, the only style templates use.</summary>
    public static string Format(string s, List<object?> args)
    {
        var sb = new StringBuilder();
        int k = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '%' && i + 1 < s.Length && s[i + 1] is 's' or 'd') { sb.Append(Rt.ToStr(k < args.Count ? args[k++] : null)); i++; }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }

    /// <summary>json.dumps as transformers' tojson filter calls it: ensure_ascii=False, separators
    /// ", " and ": " (or "," and ": " with an indent), keys in insertion order unless sort_keys.</summary>
    public static void WriteJson(StringBuilder sb, object? v, int? indent, int depth, bool sortKeys)
    {
        switch (v)
        {
            case null or Undefined: sb.Append("null"); return;
            case bool b: sb.Append(b ? "true" : "false"); return;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); return;
            case double d:
                sb.Append(double.IsInteger(d) && Math.Abs(d) < 1e16 ? d.ToString("0.0", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture));
                return;
            case string s: WriteJsonString(sb, s); return;
            case List<object?> list:
                WriteContainer(sb, '[', ']', list.Count, indent, depth, i => WriteJson(sb, list[i], indent, depth + 1, sortKeys));
                return;
            case IDictionary<string, object?> dict:
            {
                var pairs = sortKeys ? dict.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList() : dict.ToList();
                WriteContainer(sb, '{', '}', pairs.Count, indent, depth, i =>
                {
                    WriteJsonString(sb, pairs[i].Key);
                    sb.Append(": ");
                    WriteJson(sb, pairs[i].Value, indent, depth + 1, sortKeys);
                });
                return;
            }
            default: WriteJsonString(sb, Rt.ToStr(v)); return;
        }
    }

    static void WriteContainer(StringBuilder sb, char open, char close, int count, int? indent, int depth, Action<int> item)
    {
        sb.Append(open);
        if (count == 0) { sb.Append(close); return; }
        for (int i = 0; i < count; i++)
        {
            if (i > 0) sb.Append(indent is null ? ", " : ",");
            if (indent is int n) sb.Append('\n').Append(' ', n * (depth + 1));
            item(i);
        }
        if (indent is int m) sb.Append('\n').Append(' ', m * depth);
        sb.Append(close);
    }

    static void WriteJsonString(StringBuilder sb, string s) => PythonJson.WriteString(sb, s, ensureAscii: false);
}
