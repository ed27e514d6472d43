namespace Engine.Methods.Evaluation.Testbed.Families;

/// <summary>
/// Question answering over a small knowledge base of fictional countries given in the input (facts a model cannot
/// know otherwise, so an unsupported answer is a hallucination). Difficulty 1: 2 countries × 2 attributes;
/// 2: 4 × 3; 3: 6 × 4, and half the questions ask in reverse ("Which country has capital X?").
/// </summary>
public sealed class KbLookupFamily : TaskFamily
{
    public override string Name => "kb_lookup";
    public override string Domain => "knowledge";
    public override string Description => "lookup QA over a generated knowledge base of fictional entities";
    public override CdtTags Tags { get; } = MakeTags(["RD", "CA"], "History", "Extractive QA");
    public override bool Matches(string expected, string extracted) => AnswerMatch.Label(expected, extracted);

    private static readonly string[] Attributes = ["capital", "currency", "river", "founded"];

    public override TaskInstance Generate(TestbedRng rng, int difficulty)
    {
        int entities = difficulty switch { 1 => 2, 2 => 4, _ => 6 };
        int attrs = difficulty + 1;
        var countries = Lexicon.Names(rng, entities);
        var values = new string[entities, attrs];
        var used = new HashSet<string>(countries, StringComparer.OrdinalIgnoreCase);
        for (int a = 0; a < attrs; a++)
            for (int e = 0; e < entities; e++)
            {
                string v;
                do v = Attributes[a] switch
                {
                    "founded" => N(rng.Range(1100, 1899)),
                    "currency" => Lexicon.Word(rng, 4),
                    _ => Lexicon.Name(rng),
                };
                while (!used.Add(v));
                values[e, a] = v;
            }
        var lines = new List<string>();
        for (int e = 0; e < entities; e++)
            lines.Add($"{countries[e]}: " + string.Join(", ", Enumerable.Range(0, attrs).Select(a => $"{Attributes[a]} {values[e, a]}")));
        int te = rng.Next(entities), ta = rng.Next(attrs);
        bool reverse = difficulty == 3 && ta != 3 && rng.Coin();
        string question, answer;
        var candidates = new List<string>();
        if (reverse)
        {
            question = $"Which country has {Attributes[ta]} {values[te, ta]}?";
            answer = countries[te];
            candidates.AddRange(countries.Where(c => c != answer));
        }
        else
        {
            question = Attributes[ta] == "founded" ? $"In which year was {countries[te]} founded?" : $"What is the {Attributes[ta]} of {countries[te]}?";
            answer = values[te, ta];
            for (int e = 0; e < entities; e++) if (e != te) candidates.Add(values[e, ta]);
            for (int a = 0; a < attrs; a++) if (a != ta) candidates.Add(values[te, a]);
        }
        rng.Shuffle(candidates);
        var steps = new List<string> { $"The question is about {(reverse ? values[te, ta] : countries[te])}.", $"The facts say: {lines[te]}." };
        string fab;
        do fab = ta == 3 && !reverse ? N(rng.Range(1100, 1899)) : Lexicon.Name(rng);
        while (used.Contains(fab));
        var subject = reverse ? values[te, ta] : countries[te];
        return new TaskInstance("Answer from the facts.", string.Join("\n", lines) + "\n" + question, $"We look up {subject} in the facts.",
            steps, answer, Rejected(answer, candidates), new Fabrication($"Older records give {fab} for {subject}.", fab));
    }
}
