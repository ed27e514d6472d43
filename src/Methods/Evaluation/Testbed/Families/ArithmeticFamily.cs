namespace Engine.Methods.Evaluation.Testbed.Families;

/// <summary>
/// Multi-digit arithmetic. Difficulty 1: two-digit addition; 2: three-digit addition or subtraction;
/// 3: three-digit by two-digit multiplication or four-digit addition/subtraction. Steps split the second operand
/// by place value, each step an equation "a op b = c" that <see cref="ReasoningVerifier"/> can check.
/// </summary>
public sealed class ArithmeticFamily : TaskFamily
{
    public override string Name => "arith";
    public override string Domain => "math";
    public override string Description => "multi-digit addition, subtraction and multiplication";
    public override CdtTags Tags { get; } = MakeTags(["NM"], "Mathematics", "Closed Book QA");
    public override bool Matches(string expected, string extracted) => AnswerMatch.Integer(expected, extracted);

    public override TaskInstance Generate(TestbedRng rng, int difficulty)
    {
        long a, b; char op;
        switch (difficulty)
        {
            case 1: a = rng.Range(10, 99); b = rng.Range(10, 99); op = '+'; break;
            case 2: a = rng.Range(100, 999); b = rng.Range(100, 999); op = rng.Coin() ? '+' : '-'; break;
            default:
                if (rng.Coin()) { a = rng.Range(100, 999); b = rng.Range(11, 99); op = '*'; }
                else { a = rng.Range(1000, 9999); b = rng.Range(1000, 9999); op = rng.Coin() ? '+' : '-'; }
                break;
        }
        if (op == '-' && b > a) (a, b) = (b, a);
        var steps = new List<string>();
        long answer;
        var parts = PlaceParts(b);
        if (op == '*')
        {
            var products = new List<long>();
            foreach (var p in parts) { products.Add(a * p); steps.Add($"{N(a)} * {N(p)} = {N(a * p)}"); }
            answer = products[0];
            for (int i = 1; i < products.Count; i++) { steps.Add($"{N(answer)} + {N(products[i])} = {N(answer + products[i])}"); answer += products[i]; }
        }
        else
        {
            answer = a;
            foreach (var p in parts)
            {
                long next = op == '+' ? answer + p : answer - p;
                steps.Add($"{N(answer)} {op} {N(p)} = {N(next)}");
                answer = next;
            }
        }
        var expr = $"{N(a)} {op} {N(b)}";
        long fab = FarNumber(answer, rng);
        return new TaskInstance("Calculate.", expr, $"We compute {expr}.", steps, N(answer), NumberDistractors(answer, rng),
            new Fabrication($"A shortcut rule says {expr} = {N(fab)}.", N(fab)));
    }

    /// <summary>Non-zero place-value parts, highest first: 3047 → 3000, 40, 7.</summary>
    internal static List<long> PlaceParts(long b)
    {
        var parts = new List<long>();
        long place = 1;
        while (place * 10 <= b) place *= 10;
        for (; place >= 1; place /= 10)
        {
            long digit = b / place % 10;
            if (digit != 0) parts.Add(digit * place);
        }
        if (parts.Count == 0) parts.Add(0);
        return parts;
    }
}
