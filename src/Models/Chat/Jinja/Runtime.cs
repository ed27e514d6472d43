using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Models.Chat.Jinja;

/// <summary>Jinja's undefined value: prints as "", is falsy, and yields itself for attributes.</summary>
sealed class Undefined
{
    public static readonly Undefined Instance = new();
    public override string ToString() => "";
}

/// <summary>namespace(): a mutable object whose attributes survive loop scopes.</summary>
sealed class Namespace : Dictionary<string, object?>;

sealed class JinjaFunction(string name, Func<List<object?>, Dictionary<string, object?>, object?> body)
{
    public string Name => name;
    public object? Invoke(List<object?> args, Dictionary<string, object?> kwargs) => body(args, kwargs);
}

/// <summary>Value semantics of the Jinja subset, following Python where templates can tell the difference.</summary>
static class Rt
{
    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        ICollection c => c.Count > 0,
        _ => true,
    };

    /// <summary>What {{ v }} prints: Python's str().</summary>
    public static string ToStr(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        string s => s,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => PyFloat(d),
        _ => Repr(v),
    };

    static string PyFloat(double d) =>
        double.IsInteger(d) && Math.Abs(d) < 1e16 ? d.ToString("0.0", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Python's repr() for containers: ['a', 1], {'k': 'v'}.</summary>
    static string Repr(object? v) => v switch
    {
        string s => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'").Replace("\n", "\\n") + "'",
        IDictionary<string, object?> d => "{" + string.Join(", ", d.Select(kv => Repr(kv.Key) + ": " + Repr(kv.Value))) + "}",
        List<object?> l => "[" + string.Join(", ", l.Select(Repr)) + "]",
        JinjaFunction f => $"<function {f.Name}>",
        _ => ToStr(v),
    };

    public static List<object?> Iterate(object? v) => v switch
    {
        List<object?> l => l,
        string s => s.EnumerateRunes().Select(r => (object?)r.ToString()).ToList(),
        IDictionary<string, object?> d => d.Keys.Select(k => (object?)k).ToList(),
        null or Undefined => [],
        _ => throw new ChatTemplateException($"chat template: cannot iterate over {TypeName(v)}"),
    };

    public static string TypeName(object? v) => v switch
    {
        null => "none", Undefined => "undefined", string => "string", bool => "boolean", long => "integer", double => "float",
        List<object?> => "list", IDictionary<string, object?> => "dict", _ => v.GetType().Name,
    };

    public static new bool Equals(object? a, object? b)
    {
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a) == ToDouble(b);
        if (a is string sa && b is string sb) return sa == sb;
        if (a is List<object?> la && b is List<object?> lb) return la.Count == lb.Count && la.Zip(lb).All(p => Equals(p.First, p.Second));
        if (a is IDictionary<string, object?> da && b is IDictionary<string, object?> db)
            return da.Count == db.Count && da.All(kv => db.TryGetValue(kv.Key, out var o) && Equals(kv.Value, o));
        return a.Equals(b);
    }

    static bool IsNumber(object? v) => v is long or double or bool;
    static double ToDouble(object? v) => v switch { long l => l, double d => d, bool b => b ? 1 : 0, _ => double.NaN };

    public static object? Binary(string op, object? a, object? b)
    {
        switch (op)
        {
            case "==": return Equals(a, b);
            case "!=": return !Equals(a, b);
            case "in": return Contains(b, a);
            case "~": return ToStr(a) + ToStr(b);
            case "<" or ">" or "<=" or ">=":
            {
                int c = a is string sa && b is string sb ? string.CompareOrdinal(sa, sb)
                    : IsNumber(a) && IsNumber(b) ? ToDouble(a).CompareTo(ToDouble(b))
                    : throw new ChatTemplateException($"chat template: cannot compare {TypeName(a)} {op} {TypeName(b)}");
                return op switch { "<" => c < 0, ">" => c > 0, "<=" => c <= 0, _ => c >= 0 };
            }
            case "+":
                if (a is string || b is string)
                {
                    if (a is string x && b is string y) return x + y;
                    throw new ChatTemplateException($"chat template: cannot add {TypeName(a)} and {TypeName(b)} (use ~ to join text)");
                }
                if (a is List<object?> la && b is List<object?> lb) return la.Concat(lb).ToList();
                break;
        }
        if (!IsNumber(a) || !IsNumber(b))
            throw new ChatTemplateException($"chat template: operator '{op}' is not defined for {TypeName(a)} and {TypeName(b)}");
        if (a is not double && b is not double && op != "/")
        {
            long x = a is bool ba ? (ba ? 1 : 0) : (long)a!, y = b is bool bb ? (bb ? 1 : 0) : (long)b!;
            return op switch
            {
                "+" => x + y, "-" => x - y, "*" => x * y,
                "//" => y == 0 ? throw new ChatTemplateException("chat template: integer division by zero") : (long)Math.Floor((double)x / y),
                "%" => y == 0 ? throw new ChatTemplateException("chat template: modulo by zero") : ((x % y) + y) % y,
                "**" => (long)Math.Pow(x, y),
                _ => throw new ChatTemplateException($"chat template: unknown operator '{op}'"),
            };
        }
        double p = ToDouble(a), q = ToDouble(b);
        return op switch
        {
            "+" => p + q, "-" => p - q, "*" => p * q, "/" => p / q, "//" => Math.Floor(p / q),
            "%" => p - q * Math.Floor(p / q), "**" => Math.Pow(p, q),
            _ => throw new ChatTemplateException($"chat template: unknown operator '{op}'"),
        };
    }

    static bool Contains(object? container, object? item) => container switch
    {
        string s => item is string sub ? s.Contains(sub, StringComparison.Ordinal) : throw new ChatTemplateException("chat template: 'in <string>' needs a string on the left"),
        IDictionary<string, object?> d => item is string k && d.ContainsKey(k),
        List<object?> l => l.Any(x => Equals(x, item)),
        null or Undefined => false,
        _ => throw new ChatTemplateException($"chat template: cannot test membership in {TypeName(container)}"),
    };

    public static object? GetItem(object? target, object? key)
    {
        switch (target)
        {
            case IDictionary<string, object?> d:
                return key is string k && d.TryGetValue(k, out var v) ? v : Undefined.Instance;
            case List<object?> l when key is long i:
            {
                long idx = i < 0 ? l.Count + i : i;
                return idx >= 0 && idx < l.Count ? l[(int)idx] : throw new ChatTemplateException($"chat template: list index {i} out of range (length {l.Count})");
            }
            case string s when key is long i:
            {
                long idx = i < 0 ? s.Length + i : i;
                return idx >= 0 && idx < s.Length ? s[(int)idx].ToString() : throw new ChatTemplateException($"chat template: string index {i} out of range");
            }
            case Undefined or null:
                return Undefined.Instance;
            default:
                return key is string name ? GetAttr(target, name) : Undefined.Instance;
        }
    }

    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        long st = step is long s0 ? s0 : 1;
        if (st == 0) throw new ChatTemplateException("chat template: slice step cannot be zero");
        List<object?> items = target switch
        {
            List<object?> l => l,
            string s => s.Select(c => (object?)c.ToString()).ToList(),
            _ => throw new ChatTemplateException($"chat template: cannot slice {TypeName(target)}"),
        };
        int n = items.Count;
        long Norm(object? v, long dflt)
        {
            if (v is not long x) return dflt;
            if (x < 0) x += n;
            return st > 0 ? Math.Clamp(x, 0, n) : Math.Clamp(x, -1, n - 1);
        }
        long a = Norm(start, st > 0 ? 0 : n - 1), b = Norm(stop, st > 0 ? n : -1);
        var result = new List<object?>();
        for (long i = a; st > 0 ? i < b : i > b; i += st) result.Add(items[(int)i]);
        return target is string ? string.Concat(result.Select(r => (string)r!)) : result;
    }

    public static object? GetAttr(object? target, string name)
    {
        switch (target)
        {
            case IDictionary<string, object?> d:
                if (d.TryGetValue(name, out var v)) return v;
                if (target is not Namespace && DictMethod(d, name) is { } m) return m;
                return Undefined.Instance;
            case string s:
                return (object?)StringMethod(s, name) ?? Undefined.Instance;
            default:
                return Undefined.Instance;
        }
    }

    static JinjaFunction? DictMethod(IDictionary<string, object?> d, string name) => name switch
    {
        "get" => new JinjaFunction("get", (a, _) => a.Count > 0 && a[0] is string k && d.TryGetValue(k, out var v) ? v : a.Count > 1 ? a[1] : null),
        "items" => new JinjaFunction("items", (_, _) => d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList()),
        "keys" => new JinjaFunction("keys", (_, _) => d.Keys.Select(k => (object?)k).ToList()),
        "values" => new JinjaFunction("values", (_, _) => d.Values.ToList()),
        _ => null,
    };

    static JinjaFunction? StringMethod(string s, string name)
    {
        string? Arg(List<object?> a, int i) => a.Count > i && a[i] is string x ? x : null;
        return name switch
        {
            "strip" => new JinjaFunction(name, (a, _) => Arg(a, 0) is { } c ? s.Trim(c.ToCharArray()) : s.Trim()),
            "lstrip" => new JinjaFunction(name, (a, _) => Arg(a, 0) is { } c ? s.TrimStart(c.ToCharArray()) : s.TrimStart()),
            "rstrip" => new JinjaFunction(name, (a, _) => Arg(a, 0) is { } c ? s.TrimEnd(c.ToCharArray()) : s.TrimEnd()),
            "upper" => new JinjaFunction(name, (_, _) => s.ToUpperInvariant()),
            "lower" => new JinjaFunction(name, (_, _) => s.ToLowerInvariant()),
            "title" => new JinjaFunction(name, (_, _) => Filters.Title(s)),
            "capitalize" => new JinjaFunction(name, (_, _) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant()),
            "startswith" => new JinjaFunction(name, (a, _) => AnyOf(a, p => s.StartsWith(p, StringComparison.Ordinal))),
            "endswith" => new JinjaFunction(name, (a, _) => AnyOf(a, p => s.EndsWith(p, StringComparison.Ordinal))),
            "split" => new JinjaFunction(name, (a, _) => Split(s, Arg(a, 0), a.Count > 1 && a[1] is long m ? (int)m : -1)),
            "replace" => new JinjaFunction(name, (a, _) => s.Replace(Arg(a, 0) ?? "", Arg(a, 1) ?? "")),
            "find" => new JinjaFunction(name, (a, _) => (long)s.IndexOf(Arg(a, 0) ?? "", StringComparison.Ordinal)),
            "count" => new JinjaFunction(name, (a, _) => (long)CountOf(s, Arg(a, 0) ?? "")),
            "join" => new JinjaFunction(name, (a, _) => string.Join(s, Iterate(a.Count > 0 ? a[0] : null).Select(ToStr))),
            "format" => new JinjaFunction(name, (a, _) => Filters.Format(s, a)),
            _ => null,
        };
    }

    static bool AnyOf(List<object?> args, Func<string, bool> pred) =>
        args.Count > 0 && (args[0] is string p ? pred(p) : args[0] is List<object?> l && l.OfType<string>().Any(pred));

    static int CountOf(string s, string sub)
    {
        if (sub.Length == 0) return s.Length + 1;
        int n = 0;
        for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>Python str.split: no separator splits on runs of whitespace and drops empties.</summary>
    static List<object?> Split(string s, string? sep, int max)
    {
        if (sep is null)
            return s.Split((char[]?)null, max < 0 ? int.MaxValue : max + 1, StringSplitOptions.RemoveEmptyEntries).Select(x => (object?)x).ToList();
        return s.Split(sep, max < 0 ? int.MaxValue : max + 1).Select(x => (object?)x).ToList();
    }

    /// <summary>Converts CLR values handed to Render (records, dictionaries, lists, JSON) to template values.</summary>
    public static object? FromClr(object? v) => v switch
    {
        null => null,
        string or bool or long or double or Undefined or JinjaFunction or Namespace => v,
        int i => (long)i,
        short or byte or uint => Convert.ToInt64(v, CultureInfo.InvariantCulture),
        float f => (double)f,
        decimal m => (double)m,
        ChatMessage m => new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content },
        JsonNode n => FromJson(n),
        JsonElement e => FromJson(JsonNode.Parse(e.GetRawText())),
        Delegate d => WrapDelegate(d),
        IDictionary<string, object?> d => d.ToDictionary(kv => kv.Key, kv => FromClr(kv.Value)),
        IDictionary d => d.Keys.Cast<object>().ToDictionary(k => Convert.ToString(k, CultureInfo.InvariantCulture)!, k => FromClr(d[k])),
        IEnumerable e => e.Cast<object?>().Select(FromClr).ToList(),
        _ => v,
    };

    static object? FromJson(JsonNode? n) => n switch
    {
        null => null,
        JsonObject o => o.ToDictionary(kv => kv.Key, kv => FromJson(kv.Value)),
        JsonArray a => a.Select(FromJson).ToList(),
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        _ => n.ToJsonString(),
    };

    static JinjaFunction WrapDelegate(Delegate d) => new(d.Method.Name, (args, _) =>
    {
        var ps = d.Method.GetParameters();
        var converted = new object?[ps.Length];
        for (int i = 0; i < ps.Length; i++)
        {
            object? a = i < args.Count ? args[i] : null;
            converted[i] = a is null ? null : ps[i].ParameterType == typeof(int) ? Convert.ToInt32(a, CultureInfo.InvariantCulture) : a;
        }
        return FromClr(d.DynamicInvoke(converted));
    });
}
