namespace Engine.Methods.Evaluation.Testbed.Families;

/// <summary>
/// List and set operations on small integer lists. Difficulty 1: max, min, sum or sort of 3–4 digits;
/// 2: sum, sort, dedupe or count-above on 5–6 numbers up to 50; 3: union or intersection (sorted) of two lists,
/// or the sum of the even numbers. Lists are written "a, b, c".
/// </summary>
public sealed class ListOpsFamily : TaskFamily
{
    public override string Name => "list_ops";
    public override string Domain => "text";
    public override string Description => "list and set operations (max, sum, sort, dedupe, union, intersection)";
    public override CdtTags Tags { get; } = MakeTags(["LA", "NM"], "Computer Science", "Generation");
    public override bool Matches(string expected, string extracted) => AnswerMatch.IntList(expected, extracted);

    private static string L(IEnumerable<long> xs) => string.Join(", ", xs.Select(N));

    public override TaskInstance Generate(TestbedRng rng, int difficulty)
    {
        List<long> Draw(int n, int max) { var l = new List<long>(); for (int i = 0; i < n; i++) l.Add(rng.Range(0, max)); return l; }
        var steps = new List<string>();
        string instruction, input;
        List<long> result;
        string op = difficulty switch
        {
            1 => rng.Pick(new[] { "max", "min", "sum", "sort" }),
            2 => rng.Pick(new[] { "sum", "sort", "dedupe", "count" }),
            _ => rng.Pick(new[] { "union", "intersection", "evensum" }),
        };
        var xs = difficulty == 1 ? Draw(rng.Range(3, 4), 9) : Draw(rng.Range(5, 6), 50);
        if (op == "dedupe") { xs[rng.Range(2, xs.Count - 1)] = xs[rng.Next(2)]; }
        input = L(xs);
        switch (op)
        {
            case "max":
            case "min":
            {
                long best = xs[0];
                for (int i = 1; i < xs.Count; i++)
                {
                    long nb = op == "max" ? Math.Max(best, xs[i]) : Math.Min(best, xs[i]);
                    steps.Add($"{op}({N(best)}, {N(xs[i])}) = {N(nb)}");
                    best = nb;
                }
                instruction = op == "max" ? "Give the largest number." : "Give the smallest number.";
                result = [best]; break;
            }
            case "sum":
            case "evensum":
            {
                var terms = op == "sum" ? xs : xs.Where(x => x % 2 == 0).ToList();
                if (terms.Count == 0) { xs[0] = 2 * rng.Range(1, 20); input = L(xs); terms = [xs[0]]; }
                if (op == "evensum") steps.Add("even numbers: " + L(terms));
                long s = terms[0];
                for (int i = 1; i < terms.Count; i++) { steps.Add($"{N(s)} + {N(terms[i])} = {N(s + terms[i])}"); s += terms[i]; }
                if (terms.Count == 1) steps.Add($"{N(s)} + 0 = {N(s)}");
                instruction = op == "sum" ? "Add up the numbers." : "Add up the even numbers.";
                result = [s]; break;
            }
            case "sort":
                result = xs.OrderBy(x => x).ToList();
                steps.Add($"smallest: {N(result[0])}");
                steps.Add($"largest: {N(result[^1])}");
                instruction = "Sort the numbers from smallest to largest."; break;
            case "dedupe":
                result = xs.Distinct().ToList();
                steps.Add($"count before: {N(xs.Count)}");
                steps.Add($"count after: {N(result.Count)}");
                instruction = "Remove repeated numbers, keeping the first of each."; break;
            case "count":
            {
                long t = rng.Range(10, 40);
                var above = xs.Where(x => x > t).ToList();
                steps.Add($"above {N(t)}: " + (above.Count == 0 ? "none" : L(above)));
                steps.Add($"count: {N(above.Count)}");
                instruction = $"How many numbers are greater than {N(t)}?";
                result = [above.Count]; break;
            }
            default:
            {
                var ys = Draw(5, 50);
                ys[rng.Next(5)] = xs[rng.Next(xs.Count)]; // guarantees a non-empty intersection
                input = "A: " + L(xs) + "; B: " + L(ys);
                var sa = xs.Distinct().OrderBy(x => x).ToList();
                var sb = ys.Distinct().OrderBy(x => x).ToList();
                steps.Add("A sorted: " + L(sa));
                steps.Add("B sorted: " + L(sb));
                if (op == "union") { result = sa.Union(sb).OrderBy(x => x).ToList(); instruction = "Give the union of A and B, sorted, without repeats."; }
                else { result = sa.Intersect(sb).OrderBy(x => x).ToList(); instruction = "Give the numbers in both A and B, sorted, without repeats."; }
                break;
            }
        }
        var answer = L(result);
        var candidates = new List<string>();
        if (result.Count == 1) candidates.AddRange(NumberDistractors(result[0], rng));
        else
        {
            candidates.Add(L(result.AsEnumerable().Reverse()));
            candidates.Add(L(result.Skip(1)));
            candidates.Add(L(result.Take(result.Count - 1)));
            var bumped = result.ToList(); bumped[rng.Next(bumped.Count)] += 1; candidates.Add(L(bumped));
            rng.Shuffle(candidates);
        }
        var fab = result.ToList(); fab.Add(51 + rng.Next(40));
        if (result.Count == 1) fab = [FarNumber(result[0], rng)];
        return new TaskInstance(instruction, input, "We work through the list.", steps, answer, Rejected(answer, candidates),
            new Fabrication($"The list also contains {N(fab[^1])}.", L(fab)));
    }
}
