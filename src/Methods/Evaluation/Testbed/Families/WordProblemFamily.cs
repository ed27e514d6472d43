namespace Engine.Methods.Evaluation.Testbed.Families;

/// <summary>
/// Word problems about a fictional person's items; the number of operations equals the difficulty
/// (buy more, give away, bags of k, doubling). Steps are checkable equations.
/// </summary>
public sealed class WordProblemFamily : TaskFamily
{
    public override string Name => "word_problem";
    public override string Domain => "math";
    public override string Description => "word problems with one to three reasoning steps";
    public override CdtTags Tags { get; } = MakeTags(["RQ", "NM"], "Mathematics", "Closed Book QA");
    public override bool Matches(string expected, string extracted) => AnswerMatch.Integer(expected, extracted);

    public override TaskInstance Generate(TestbedRng rng, int difficulty)
    {
        var name = Lexicon.Name(rng);
        var item = rng.Pick(Lexicon.Items);
        long count = rng.Range(2, difficulty == 1 ? 20 : 40);
        var text = new List<string> { $"{name} has {N(count)} {item}." };
        var steps = new List<string>();
        for (int i = 0; i < difficulty; i++)
        {
            int kind = difficulty == 1 ? rng.Next(2) : rng.Next(4);
            if (kind == 1 && count < 3) kind = 0;
            switch (kind)
            {
                case 0:
                {
                    long k = rng.Range(2, 15);
                    text.Add($"{name} gets {N(k)} more.");
                    steps.Add($"{N(count)} + {N(k)} = {N(count + k)}"); count += k; break;
                }
                case 1:
                {
                    long k = rng.Range(1, (int)count - 1);
                    text.Add($"{name} gives away {N(k)}.");
                    steps.Add($"{N(count)} - {N(k)} = {N(count - k)}"); count -= k; break;
                }
                case 2:
                {
                    long bags = rng.Range(2, 5), per = rng.Range(2, 9);
                    text.Add($"{name} buys {N(bags)} bags of {N(per)}.");
                    steps.Add($"{N(bags)} * {N(per)} = {N(bags * per)}");
                    steps.Add($"{N(count)} + {N(bags * per)} = {N(count + bags * per)}"); count += bags * per; break;
                }
                default:
                    text.Add($"{name} doubles them.");
                    steps.Add($"{N(count)} * 2 = {N(count * 2)}"); count *= 2; break;
            }
        }
        text.Add($"How many {item} does {name} have now?");
        long fab = FarNumber(count, rng);
        return new TaskInstance("Solve the problem.", string.Join(' ', text), $"We track how many {item} {name} has.", steps, N(count),
            NumberDistractors(count, rng), new Fabrication($"{name} also found {N(Math.Abs(fab - count))} {item} earlier.", N(fab)));
    }
}
