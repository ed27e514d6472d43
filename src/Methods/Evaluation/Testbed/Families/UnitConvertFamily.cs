namespace Engine.Methods.Evaluation.Testbed.Families;

/// <summary>
/// Unit conversion with integer results. Difficulty 1: one unit to a smaller one (7 m to cm);
/// 2: a compound quantity to its smaller unit (3 h 25 min to min); 3: a compound quantity down two units
/// (2 day 5 h to min).
/// </summary>
public sealed class UnitConvertFamily : TaskFamily
{
    public override string Name => "unit_convert";
    public override string Domain => "math";
    public override string Description => "unit conversion (length, mass, time, volume)";
    public override CdtTags Tags { get; } = MakeTags(["NM", "RQ"], "Physics", "Closed Book QA");
    public override bool Matches(string expected, string extracted) => AnswerMatch.Integer(expected, extracted);

    private static readonly (string Big, string Small, int Factor)[] Pairs =
        [("m", "cm", 100), ("km", "m", 1000), ("kg", "g", 1000), ("h", "min", 60), ("min", "s", 60), ("day", "h", 24),
         ("week", "day", 7), ("L", "mL", 1000), ("cm", "mm", 10), ("year", "month", 12)];

    // Chains of three units where each adjacent pair is in Pairs.
    private static readonly (string A, string B, string C)[] Chains =
        [("day", "h", "min"), ("h", "min", "s"), ("km", "m", "cm"), ("week", "day", "h"), ("m", "cm", "mm")];

    private static int Factor(string big, string small) => Pairs.First(p => p.Big == big && p.Small == small).Factor;

    public override TaskInstance Generate(TestbedRng rng, int difficulty)
    {
        var steps = new List<string>();
        string quantity, target;
        long answer;
        if (difficulty == 1)
        {
            var (big, small, f) = rng.Pick(Pairs);
            long v = rng.Range(2, 99);
            quantity = $"{N(v)} {big}"; target = small; answer = v * f;
            steps.Add($"{N(v)} * {N(f)} = {N(answer)}");
        }
        else if (difficulty == 2)
        {
            var (big, small, f) = rng.Pick(Pairs);
            long v = rng.Range(2, 20), r = rng.Range(1, f - 1);
            quantity = $"{N(v)} {big} {N(r)} {small}"; target = small; answer = v * f + r;
            steps.Add($"{N(v)} * {N(f)} = {N(v * f)}");
            steps.Add($"{N(v * f)} + {N(r)} = {N(answer)}");
        }
        else
        {
            var (a, b, c) = rng.Pick(Chains);
            int f1 = Factor(a, b), f2 = Factor(b, c);
            long v = rng.Range(2, 9), r = rng.Range(1, f1 - 1);
            quantity = $"{N(v)} {a} {N(r)} {b}"; target = c;
            long mid = v * f1 + r; answer = mid * f2;
            steps.Add($"{N(v)} * {N(f1)} = {N(v * f1)}");
            steps.Add($"{N(v * f1)} + {N(r)} = {N(mid)}");
            steps.Add($"{N(mid)} * {N(f2)} = {N(answer)}");
        }
        long fab = FarNumber(answer, rng);
        return new TaskInstance("Convert to the unit given.", $"{quantity} to {target}", $"We convert {quantity} into {target}.", steps,
            N(answer), NumberDistractors(answer, rng), new Fabrication($"By the standard table, {quantity} is {N(fab)} {target}.", N(fab)));
    }
}
