namespace Engine.Methods.Evaluation.Testbed.Families;

/// <summary>
/// Evaluation of a tiny expression language: "let a = 4; let b = a * 3; max(b, 7) - a". Integers, + - *,
/// parentheses, max/min, let-bindings. Difficulty = number of lets (1–3); difficulty 3 adds nesting and max/min.
/// Steps evaluate one operation per line ("4 * 3 = 12").
/// </summary>
public sealed class ExprEvalFamily : TaskFamily
{
    public override string Name => "expr_eval";
    public override string Domain => "code";
    public override string Description => "evaluate a tiny expression language with let, + - *, max/min";
    public override CdtTags Tags { get; } = MakeTags(["LA", "AC"], "Coding", "Completion");
    public override bool Matches(string expected, string extracted) => AnswerMatch.Integer(expected, extracted);

    private abstract record Node;
    private sealed record Num(long V) : Node;
    private sealed record Var(string Name) : Node;
    private sealed record Bin(char Op, Node L, Node R) : Node;
    private sealed record Fn(string Name, Node L, Node R) : Node;

    private static string Render(Node n, bool top = true) => n switch
    {
        Num x => N(x.V),
        Var v => v.Name,
        Bin b => top ? $"{Render(b.L, false)} {b.Op} {Render(b.R, false)}" : $"({Render(b.L, false)} {b.Op} {Render(b.R, false)})",
        Fn f => $"{f.Name}({Render(f.L)}, {Render(f.R)})",
        _ => throw new InvalidOperationException(),
    };

    private static long Eval(Node n, Dictionary<string, long> env, List<string> steps)
    {
        switch (n)
        {
            case Num x: return x.V;
            case Var v: return env[v.Name];
            case Bin b:
            {
                long l = Eval(b.L, env, steps), r = Eval(b.R, env, steps);
                long res = b.Op switch { '+' => l + r, '-' => l - r, _ => l * r };
                steps.Add($"{N(l)} {b.Op} {N(r)} = {N(res)}");
                return res;
            }
            case Fn f:
            {
                long l = Eval(f.L, env, steps), r = Eval(f.R, env, steps);
                long res = f.Name == "max" ? Math.Max(l, r) : Math.Min(l, r);
                steps.Add($"{f.Name}({N(l)}, {N(r)}) = {N(res)}");
                return res;
            }
            default: throw new InvalidOperationException();
        }
    }

    public override TaskInstance Generate(TestbedRng rng, int difficulty)
    {
        var vars = "abcdkmnpqrstxyz".Select(c => c.ToString()).ToList();
        rng.Shuffle(vars);
        var bound = new List<string>();
        Node Leaf() => bound.Count > 0 && rng.Coin() ? new Var(rng.Pick(bound)) : new Num(rng.Range(1, difficulty == 1 ? 20 : 9));
        char Op() => "+-*"[rng.Next(3)];
        Node Small() => new Bin(Op(), Leaf(), Leaf());
        // The leftmost leaf of a nested expression is a variable, so the lets always matter.
        Node Expr(int depth) => depth <= 0 ? new Var(rng.Pick(bound)) : rng.Next(4) switch
        {
            0 when difficulty == 3 => new Fn(rng.Coin() ? "max" : "min", Expr(depth - 1), Leaf()),
            _ => new Bin(Op(), Expr(depth - 1), Leaf()),
        };

        var env = new Dictionary<string, long>();
        var steps = new List<string>();
        var statements = new List<string>();
        for (int i = 0; i < difficulty; i++)
        {
            Node value = i == 0 ? new Num(rng.Range(1, difficulty == 1 ? 20 : 9)) : (difficulty == 3 ? Expr(1) : Small());
            var name = vars[i];
            long v = Eval(value, env, steps);
            env[name] = v;
            bound.Add(name);
            steps.Add($"{name} = {N(v)}");
            statements.Add($"let {name} = {Render(value)};");
        }
        // The result expression must use a bound variable so the lets matter.
        Node result = difficulty == 3 ? Expr(2) : new Bin(Op(), new Var(bound[^1]), Leaf());
        long answer = Eval(result, env, steps);
        var program = string.Join(' ', statements) + " " + Render(result);
        long fab = FarNumber(answer, rng);
        return new TaskInstance("Evaluate the program.", program, "We evaluate the lets in order, then the last expression.", steps, N(answer),
            NumberDistractors(answer, rng), new Fabrication($"In this language {bound[0]} is reset to 0 before the last line.", N(fab)));
    }
}
