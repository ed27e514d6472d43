namespace Engine.Methods.Evaluation.Testbed.Families;

/// <summary>
/// Next term of a number sequence. Difficulty 1: arithmetic, positive step; 2: arithmetic with a negative step or
/// geometric (ratio 2 or 3); 3: second-order (differences grow by a constant).
/// </summary>
public sealed class SequenceFamily : TaskFamily
{
    public override string Name => "sequence";
    public override string Domain => "math";
    public override string Description => "next term of arithmetic, geometric and second-order sequences";
    public override CdtTags Tags { get; } = MakeTags(["PR", "RQ"], "Mathematics", "Completion");
    public override bool Matches(string expected, string extracted) => AnswerMatch.Integer(expected, extracted);

    public override TaskInstance Generate(TestbedRng rng, int difficulty)
    {
        var terms = new List<long>();
        var steps = new List<string>();
        long next;
        if (difficulty == 1 || (difficulty == 2 && rng.Coin()))
        {
            long step = difficulty == 1 ? rng.Range(1, 9) : -rng.Range(2, 9);
            long a0 = difficulty == 1 ? rng.Range(1, 50) : rng.Range(40, 90);
            for (int i = 0; i < 4; i++) terms.Add(a0 + i * step);
            for (int i = 1; i < 3; i++) steps.Add($"{N(terms[i])} - {N(terms[i - 1])} = {N(step)}");
            next = terms[^1] + step;
            steps.Add($"{N(terms[^1])} + {N(step)} = {N(next)}");
        }
        else if (difficulty == 2)
        {
            long ratio = rng.Range(2, 3), a0 = rng.Range(1, 5);
            for (int i = 0; i < 4; i++) terms.Add(i == 0 ? a0 : terms[^1] * ratio);
            steps.Add($"{N(terms[1])} / {N(terms[0])} = {N(ratio)}");
            steps.Add($"{N(terms[2])} / {N(terms[1])} = {N(ratio)}");
            next = terms[^1] * ratio;
            steps.Add($"{N(terms[^1])} * {N(ratio)} = {N(next)}");
        }
        else
        {
            long a0 = rng.Range(1, 20), d0 = rng.Range(1, 6), s = rng.Range(1, 4);
            long d = d0;
            terms.Add(a0);
            for (int i = 1; i < 5; i++) { terms.Add(terms[^1] + d); d += s; }
            for (int i = 1; i < 3; i++) steps.Add($"{N(terms[i])} - {N(terms[i - 1])} = {N(terms[i] - terms[i - 1])}");
            steps.Add($"{N(terms[2] - terms[1])} - {N(terms[1] - terms[0])} = {N(s)}");
            long lastDiff = terms[^1] - terms[^2];
            steps.Add($"{N(lastDiff)} + {N(s)} = {N(lastDiff + s)}");
            next = terms[^1] + lastDiff + s;
            steps.Add($"{N(terms[^1])} + {N(lastDiff + s)} = {N(next)}");
        }
        var text = string.Join(", ", terms.Select(N)) + ", ?";
        long fab = FarNumber(next, rng);
        return new TaskInstance("Give the next number.", text, "We find the rule of the sequence.", steps, N(next), NumberDistractors(next, rng),
            new Fabrication($"This is the well-known Varga sequence, which continues with {N(fab)}.", N(fab)));
    }
}
