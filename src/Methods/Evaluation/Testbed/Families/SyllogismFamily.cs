namespace Engine.Methods.Evaluation.Testbed.Families;

/// <summary>
/// Syllogisms over made-up categories: a chain of "All A are B." premises (length = difficulty), a fact
/// "X is a A.", and a question "Is X a C?" answered yes, no or unknown. "no" comes from a final
/// "No B are C." premise; "unknown" from asking about a category the chain does not reach. Difficulty 3 adds a
/// distractor premise and shuffles the premises.
/// </summary>
public sealed class SyllogismFamily : TaskFamily
{
    public override string Name => "syllogism";
    public override string Domain => "logic";
    public override string Description => "syllogisms with yes / no / unknown answers";
    public override CdtTags Tags { get; } = MakeTags(["RG"], "Logic", "Natural Language Inference");
    public override bool Matches(string expected, string extracted) => AnswerMatch.Label(expected, extracted);

    private static readonly string[] Labels = ["yes", "no", "unknown"];

    public override TaskInstance Generate(TestbedRng rng, int difficulty)
    {
        // Categories start with a consonant so "a" is always the right article.
        var cats = new List<string>();
        while (cats.Count < difficulty + 3)
        {
            var c = Lexicon.ConsonantWord(rng, rng.Range(4, 5));
            if (!cats.Contains(c)) cats.Add(c);
        }
        var who = Lexicon.Name(rng);
        int hops = difficulty;
        int kind = rng.Next(3); // 0 yes, 1 no, 2 unknown
        var premises = new List<string>();
        var steps = new List<string> { $"{who} is a {cats[0]}." };
        for (int i = 0; i < hops; i++)
        {
            bool last = i == hops - 1;
            if (last && kind == 1)
            {
                premises.Add($"No {cats[i]}s are {cats[i + 1]}s.");
                steps.Add($"No {cats[i]}s are {cats[i + 1]}s, so {who} is not a {cats[i + 1]}.");
            }
            else
            {
                premises.Add($"All {cats[i]}s are {cats[i + 1]}s.");
                steps.Add($"All {cats[i]}s are {cats[i + 1]}s, so {who} is a {cats[i + 1]}.");
            }
        }
        string asked = cats[hops];
        if (kind == 2)
        {
            // Ask about an unreached category that points INTO the chain: "All C are B" says nothing about X being C.
            asked = cats[hops + 1];
            premises.Add($"All {asked}s are {cats[hops]}s.");
            steps.Add($"Nothing says every {cats[hops]} is a {asked}, so it is not known whether {who} is a {asked}.");
        }
        if (difficulty == 3)
        {
            premises.Add($"All {cats[hops + 2]}s are {cats[0]}s.");
            rng.Shuffle(premises);
        }
        var answer = Labels[kind];
        var others = Labels.Where(l => l != answer).ToList();
        rng.Shuffle(others);
        var fabAnswer = kind == 0 ? "no" : "yes";
        var fabClaim = kind == 0 ? $"It is also known that no {cats[hops - 1]}s are {asked}s." : $"It is also known that all {cats[0]}s are {asked}s.";
        var input = $"{string.Join(' ', premises)} {who} is a {cats[0]}. Is {who} a {asked}?";
        return new TaskInstance("Answer yes, no or unknown.", input, $"We follow what is known about {who}.", steps, answer, Rejected(answer, others),
            new Fabrication(fabClaim, fabAnswer));
    }
}
