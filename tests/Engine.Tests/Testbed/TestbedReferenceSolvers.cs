using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Methods.Evaluation.Testbed.Families;

namespace Engine.Tests.Testbed;

/// <summary>
/// Independent solvers: each reads only the prompt text (as a model would) and computes the answer with its own
/// code, so the generated answers are checked against something other than the generator.
/// </summary>
public static class TestbedReferenceSolvers
{
    private static long L(string s) => long.Parse(s, CultureInfo.InvariantCulture);
    private static string S(long v) => v.ToString(CultureInfo.InvariantCulture);

    public static string Solve(string instruction, string input)
    {
        const string mc = " Choose one letter.";
        if (instruction.EndsWith(mc, StringComparison.Ordinal))
        {
            var lines = input.Split('\n').ToList();
            var options = lines.Where(l => Regex.IsMatch(l, "^[A-D]\\) ")).ToList();
            var question = string.Join("\n", lines.Where(l => !options.Contains(l)));
            var inner = Solve(instruction[..^mc.Length], question);
            var hits = options.Where(o => string.Equals(o[3..], inner, StringComparison.OrdinalIgnoreCase)).ToList();
            if (hits.Count != 1) throw new InvalidOperationException($"multiple choice: {hits.Count} options equal '{inner}'");
            return hits[0][..1];
        }
        return instruction switch
        {
            "Calculate." => Arith(input),
            "Solve the problem." => WordProblem(input),
            "Convert to the unit given." => Unit(input),
            "Give the date in YYYY-MM-DD form." => Date(input),
            "Give the next number." => Sequence(input),
            "Answer yes, no or unknown." => Syllogism(input),
            "Label the number using the first rule that applies." => Rules(input),
            "Answer from the facts." => Kb(input),
            "Answer from the passage." => Passage(input),
            "Evaluate the program." => new Expr(input).Program(),
            _ when instruction.StartsWith("Translate from ", StringComparison.Ordinal) => Translate(instruction, input),
            _ when StringInstruction(instruction) is { } ops => ops.Aggregate(input, StringOp),
            _ => ListOps(instruction, input),
        };
    }

    private static string Arith(string e)
    {
        var p = e.Split(' ');
        long a = L(p[0]), b = L(p[2]);
        return S(p[1] switch { "+" => a + b, "-" => a - b, "*" => a * b, _ => throw new InvalidOperationException(e) });
    }

    private static string WordProblem(string text)
    {
        long n = 0;
        foreach (var s in text.Split(". ").Select(s => s.TrimEnd('.')))
        {
            Match m;
            if ((m = Regex.Match(s, @" has (\d+) ")).Success) n = L(m.Groups[1].Value);
            else if ((m = Regex.Match(s, @" gets (\d+) more")).Success) n += L(m.Groups[1].Value);
            else if ((m = Regex.Match(s, @" gives away (\d+)")).Success) n -= L(m.Groups[1].Value);
            else if ((m = Regex.Match(s, @" buys (\d+) bags of (\d+)")).Success) n += L(m.Groups[1].Value) * L(m.Groups[2].Value);
            else if (s.EndsWith(" doubles them", StringComparison.Ordinal)) n *= 2;
        }
        return S(n);
    }

    private static readonly Dictionary<string, long> PerBase = new()
    {
        ["mm"] = 1, ["cm"] = 10, ["m"] = 1000, ["km"] = 1_000_000, ["g"] = 1, ["kg"] = 1000, ["mL"] = 1, ["L"] = 1000,
        ["s"] = 1, ["min"] = 60, ["h"] = 3600, ["day"] = 86400, ["week"] = 604800, ["month"] = 1, ["year"] = 12,
    };

    private static string Unit(string q)
    {
        var parts = q.Split(" to ");
        var tok = parts[0].Split(' ');
        long total = 0;
        for (int i = 0; i < tok.Length; i += 2) total += L(tok[i]) * PerBase[tok[i + 1]];
        long per = PerBase[parts[1]];
        if (total % per != 0) throw new InvalidOperationException("not an integer conversion: " + q);
        return S(total / per);
    }

    private static string Date(string q)
    {
        var m = Regex.Match(q, @"^(\d+) days after (\d{4})-(\d{2})-(\d{2})$");
        var d = new DateOnly(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture)).AddDays(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        return d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    private static string Sequence(string q)
    {
        var t = q.Split(", ").Where(x => x != "?").Select(L).ToArray();
        var d = t.Zip(t.Skip(1), (a, b) => b - a).ToArray();
        if (d.Distinct().Count() == 1) return S(t[^1] + d[0]);
        if (t.All(x => x != 0) && t.Zip(t.Skip(1)).All(p => p.Second % p.First == 0) && t.Zip(t.Skip(1), (a, b) => b / a).Distinct().Count() == 1)
            return S(t[^1] * (t[1] / t[0]));
        var dd = d.Zip(d.Skip(1), (a, b) => b - a).ToArray();
        if (dd.Distinct().Count() == 1) return S(t[^1] + d[^1] + dd[0]);
        throw new InvalidOperationException("no rule fits " + q);
    }

    private static string Syllogism(string q)
    {
        var all = Regex.Matches(q, @"All (\w+)s are (\w+)s\.").Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
        var no = Regex.Matches(q, @"No (\w+)s are (\w+)s\.").Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
        var fact = Regex.Match(q, @"(\w+) is a (\w+)\. Is \1 a (\w+)\?$");
        string start = fact.Groups[2].Value, target = fact.Groups[3].Value;
        var reach = new HashSet<string> { start };
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (var (a, b) in all) if (reach.Contains(a) && reach.Add(b)) grew = true;
        }
        if (reach.Contains(target)) return "yes";
        if (no.Any(p => reach.Contains(p.Item1) && p.Item2 == target)) return "no";
        return "unknown";
    }

    private static string Rules(string q)
    {
        var m = Regex.Match(q, @"^Rules: (.*); otherwise (\w+)\. Number: (\d+)$");
        long x = L(m.Groups[3].Value);
        foreach (var rule in m.Groups[1].Value.Split("; "))
        {
            var r = Regex.Match(rule, @"^(\w+) if (divisible by|greater than|the last digit is) (\d+)$");
            long k = L(r.Groups[3].Value);
            bool holds = r.Groups[2].Value switch { "divisible by" => x % k == 0, "greater than" => x > k, _ => x % 10 == k };
            if (holds) return r.Groups[1].Value;
        }
        return m.Groups[2].Value;
    }

    private static string Kb(string q)
    {
        var lines = q.Split('\n');
        var facts = lines[..^1].Select(l => l.Split(": ")).ToDictionary(p => p[0],
            p => p[1].Split(", ").Select(kv => kv.Split(' ')).ToDictionary(kv => kv[0], kv => kv[1]));
        var fwd = Regex.Match(lines[^1], @"^What is the (\w+) of (\w+)\?$");
        if (fwd.Success) return facts[fwd.Groups[2].Value][fwd.Groups[1].Value];
        var year = Regex.Match(lines[^1], @"^In which year was (\w+) founded\?$");
        if (year.Success) return facts[year.Groups[1].Value]["founded"];
        var rev = Regex.Match(lines[^1], @"^Which country has (\w+) (\w+)\?$");
        return facts.Single(f => f.Value[rev.Groups[1].Value] == rev.Groups[2].Value).Key;
    }

    private static string Passage(string q)
    {
        var (text, question) = (q.Split('\n')[0], q.Split('\n')[1]);
        Match m;
        if ((m = Regex.Match(question, @"^Where was (\w+) born\?$")).Success) return Regex.Match(text, m.Groups[1].Value + @" was born in (\w+) in").Groups[1].Value;
        if ((m = Regex.Match(question, @"^In which year was (\w+) born\?$")).Success) return Regex.Match(text, m.Groups[1].Value + @" was born in \w+ in (\d+)").Groups[1].Value;
        if ((m = Regex.Match(question, @"^What was (\w+)'s job\?$")).Success) return Regex.Match(text, m.Groups[1].Value + @" worked as a (\w+)").Groups[1].Value;
        m = Regex.Match(question, @"^What was the name of (\w+)'s sibling\?$");
        return Regex.Match(text, m.Groups[1].Value + @" had a sibling named (\w+)").Groups[1].Value;
    }

    private static List<string>? StringInstruction(string ins)
    {
        string? Op(string phrase) => phrase.ToLowerInvariant().TrimEnd('.') switch
        {
            "reverse the letters" => "reverse",
            "sort the letters from a to z" => "sort",
            "remove repeated letters, keeping the first of each" => "dedupe",
            "write it in upper case" => "upper",
            _ => null,
        };
        var two = Regex.Match(ins, @"^First (.+), then (.+)\.$");
        if (two.Success && Op(two.Groups[1].Value) is { } a && Op(two.Groups[2].Value) is { } b) return [a, b];
        return Op(ins) is { } one ? [one] : null;
    }

    private static string StringOp(string w, string op)
    {
        switch (op)
        {
            case "reverse": { var c = w.ToCharArray(); Array.Reverse(c); return new string(c); }
            case "sort": { var c = w.ToCharArray(); Array.Sort(c, (x, y) => x.CompareTo(y)); return new string(c); }
            case "upper": return string.Concat(w.Select(ch => ch is >= 'a' and <= 'z' ? (char)(ch - 32) : ch));
            default:
            {
                var seen = new bool[128]; var sb = new System.Text.StringBuilder();
                foreach (var ch in w) if (!seen[ch]) { seen[ch] = true; sb.Append(ch); }
                return sb.ToString();
            }
        }
    }

    private static string ListOps(string ins, string input)
    {
        static List<long> P(string s) => s.Split(", ").Select(L).ToList();
        static string J(IEnumerable<long> xs) => string.Join(", ", xs.Select(S));
        Match m;
        if ((m = Regex.Match(input, @"^A: (.*); B: (.*)$")).Success)
        {
            var (a, b) = (P(m.Groups[1].Value), P(m.Groups[2].Value));
            var r = ins.Contains("union") ? a.Concat(b) : a.Where(b.Contains);
            return J(r.Distinct().Order());
        }
        var xs = P(input);
        if ((m = Regex.Match(ins, @"greater than (\d+)")).Success) return S(xs.Count(x => x > L(m.Groups[1].Value)));
        return ins switch
        {
            "Give the largest number." => S(xs.Max()),
            "Give the smallest number." => S(xs.Min()),
            "Add up the numbers." => S(xs.Sum()),
            "Add up the even numbers." => S(xs.Where(x => x % 2 == 0).Sum()),
            "Sort the numbers from smallest to largest." => J(xs.Order()),
            "Remove repeated numbers, keeping the first of each." => J(xs.Distinct()),
            _ => throw new InvalidOperationException("unknown instruction: " + ins),
        };
    }

    /// <summary>Recursive-descent evaluator for "let v = e; ... e" with + - * (left-assoc, * binds tighter), parentheses, max/min.</summary>
    private sealed class Expr(string text)
    {
        private readonly List<string> _tok = Regex.Matches(text, @"\d+|[a-z]+|[-+*();,=]").Select(m => m.Value).ToList();
        private int _i;
        private readonly Dictionary<string, long> _env = [];
        private string Peek => _i < _tok.Count ? _tok[_i] : "";
        private string Next() => _tok[_i++];

        public string Program()
        {
            while (Peek == "let")
            {
                Next(); var name = Next(); Next(); // '='
                _env[name] = Sum(); Next();       // ';'
            }
            var v = Sum();
            if (_i != _tok.Count) throw new InvalidOperationException("trailing tokens in " + text);
            return S(v);
        }

        private long Sum()
        {
            long v = Product();
            while (Peek is "+" or "-") v = Next() == "+" ? v + Product() : v - Product();
            return v;
        }

        private long Product()
        {
            long v = Atom();
            while (Peek == "*") { Next(); v *= Atom(); }
            return v;
        }

        private long Atom()
        {
            var t = Next();
            if (t == "(") { var v = Sum(); Next(); return v; }
            if (t is "max" or "min") { Next(); var a = Sum(); Next(); var b = Sum(); Next(); return t == "max" ? Math.Max(a, b) : Math.Min(a, b); }
            return char.IsDigit(t[0]) ? L(t) : _env[t];
        }
    }

    private static string Translate(string ins, string input)
    {
        bool toGlosh = ins == "Translate from English to Glosh.";
        var back = TranslateFamily.Glosh.ToDictionary(p => p.Value, p => p.Key);
        var pages = Regex.Split(input, @"\[\d+\] ").Where(p => p.Length > 0).Select(p => p.Trim()).ToList();
        var outPages = new List<string>();
        foreach (var page in pages)
        {
            var sentences = page.EndsWith('.') ? page.TrimEnd('.').Split(". ") : [page];
            var outS = new List<string>();
            foreach (var s in sentences)
            {
                var w = s.Split(' ').ToList();
                int at = 0;
                // A noun phrase: a capitalised name (not "The"), or [the] [adj] noun in English, noun [adj] in Glosh.
                (string? Name, string? Adj, string Noun) Np()
                {
                    var t = w[at];
                    if (char.IsUpper(t[0]) && t != "The") { at++; return (t, null, ""); }
                    if (toGlosh)
                    {
                        at++; // "the"/"The"
                        string? adj = TranslateFamily.Adjectives.Contains(w[at]) ? w[at++] : null;
                        return (null, adj, w[at++]);
                    }
                    var noun = back[w[at++]];
                    string? a = at < w.Count && back.TryGetValue(w[at], out var e) && TranslateFamily.Adjectives.Contains(e) ? (at++ > -1 ? e : null) : null;
                    return (null, a, noun);
                }
                string En((string? Name, string? Adj, string Noun) np) => np.Name ?? "the " + (np.Adj is null ? "" : np.Adj + " ") + np.Noun;
                string Gl((string? Name, string? Adj, string Noun) np) => np.Name ?? TranslateFamily.Glosh[np.Noun] + (np.Adj is null ? "" : " " + TranslateFamily.Glosh[np.Adj]);
                var subj = Np();
                if (at == w.Count) { outS.Add(toGlosh ? Gl(subj) : En(subj)); continue; }
                string verb; (string?, string?, string) obj;
                if (toGlosh) { verb = w[at++]; obj = Np(); outS.Add($"{Gl(subj)} {Gl(obj)} {TranslateFamily.Glosh[verb]}."); }
                else
                {
                    obj = Np(); verb = back[w[at++]];
                    var en = $"{En(subj)} {verb} {En(obj)}.";
                    outS.Add(char.ToUpperInvariant(en[0]) + en[1..]);
                }
            }
            outPages.Add(string.Join(' ', outS));
        }
        return pages.Count == 1 ? outPages[0] : string.Join(' ', outPages.Select((p, i) => $"[{i + 1}] {p}"));
    }
}
