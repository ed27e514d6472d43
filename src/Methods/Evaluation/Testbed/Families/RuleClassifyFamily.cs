namespace Engine.Methods.Evaluation.Testbed.Families;

/// <summary>
/// Classification of a number by stated rules, the first that applies winning, else a default label.
/// Difficulty = number of rules (1–3). Predicates: divisible by k, greater than t, last digit d.
/// Labels are made-up upper-case words.
/// </summary>
public sealed class RuleClassifyFamily : TaskFamily
{
    public override string Name => "rule_classify";
    public override string Domain => "logic";
    public override string Description => "classification of a number by ordered stated rules";
    public override CdtTags Tags { get; } = MakeTags(["RG", "CA"], "Logic", "Classification");
    public override bool Matches(string expected, string extracted) => AnswerMatch.Label(expected, extracted);

    public override TaskInstance Generate(TestbedRng rng, int difficulty)
    {
        var labels = Lexicon.Words(rng, difficulty + 1, 4, 4).Select(w => w.ToUpperInvariant()).ToList();
        long x = rng.Range(10, 99);
        var ruleTexts = new List<string>();
        var steps = new List<string>();
        string? answer = null;
        for (int i = 0; i < difficulty; i++)
        {
            int kind = rng.Next(3);
            bool holds; string text, step;
            string rule = $"rule {N(i + 1)}";
            if (kind == 0)
            {
                long k = rng.Range(2, 9);
                holds = x % k == 0;
                text = $"{labels[i]} if divisible by {N(k)}";
                step = $"{rule}: {N(x)} % {N(k)} = {N(x % k)}, {(holds ? "applies" : "does not apply")}";
            }
            else if (kind == 1)
            {
                long t = rng.Range(10, 95);
                holds = x > t;
                text = $"{labels[i]} if greater than {N(t)}";
                step = $"{rule}: {N(x)} {(holds ? ">" : "<=")} {N(t)}, {(holds ? "applies" : "does not apply")}";
            }
            else
            {
                long d = rng.Coin() ? x % 10 : rng.Range(0, 9);
                holds = x % 10 == d;
                text = $"{labels[i]} if the last digit is {N(d)}";
                step = $"{rule}: last digit {N(x % 10)} {(holds ? "=" : "!=")} {N(d)}, {(holds ? "applies" : "does not apply")}";
            }
            ruleTexts.Add(text);
            if (answer is null) { steps.Add(step); if (holds) answer = labels[i]; }
        }
        var fallback = labels[difficulty];
        if (answer is null) { steps.Add($"no rule applies: {fallback}"); answer = fallback; }
        var input = $"Rules: {string.Join("; ", ruleTexts)}; otherwise {fallback}. Number: {N(x)}";
        var others = labels.Where(l => l != answer).ToList();
        rng.Shuffle(others);
        // The fabricated label is one the rules never mention.
        string fake;
        do fake = Lexicon.Word(rng, 4).ToUpperInvariant(); while (labels.Contains(fake));
        return new TaskInstance("Label the number using the first rule that applies.", input, $"We check the rules in order for {N(x)}.",
            steps, answer, Rejected(answer, others), new Fabrication($"A later rule says {N(x)} is always {fake}.", fake));
    }
}
