namespace Engine.Methods.Evaluation.Testbed.Families;

/// <summary>
/// Multiple-choice variant of another family's question: the options are the correct answer and up to three of
/// its distractors in random order, labelled A–D; the answer is the letter. Domain and cognition tags come from
/// the inner family; the CDT task is "Multiple Choice QA".
/// </summary>
public sealed class MultipleChoiceFamily(IReadOnlyList<ITaskFamily> inner) : TaskFamily
{
    public override string Name => "multiple_choice";
    public override string Domain => "mixed";
    public override string Description => "multiple-choice variants of other families (answer is a letter)";
    public override CdtTags Tags { get; } = MakeTags(["RG"], "Logic", "Multiple Choice QA");
    public override bool Matches(string expected, string extracted) => AnswerMatch.Label(expected, extracted);

    private const string Letters = "ABCD";

    public override TaskInstance Generate(TestbedRng rng, int difficulty)
    {
        var family = rng.Pick(inner);
        var q = family.Generate(rng, difficulty);
        var options = new List<string> { q.Answer };
        options.AddRange(q.Distractors.Take(3));
        rng.Shuffle(options);
        int correct = options.IndexOf(q.Answer);
        var answer = Letters[correct].ToString();
        var input = q.Input + "\n" + string.Join("\n", options.Select((o, i) => $"{Letters[i]}) {o}"));
        var steps = q.Steps.Append($"{q.Answer} is option {answer}").ToList();
        var wrong = Enumerable.Range(0, options.Count).Where(i => i != correct).Select(i => Letters[i].ToString()).ToList();
        var fabLetter = wrong[rng.Next(wrong.Count)];
        return new TaskInstance(q.Instruction + " Choose one letter.", input, q.Restatement, steps, answer, wrong,
            new Fabrication($"{q.Hallucination.Claim} That is option {fabLetter}.", fabLetter))
        {
            Domain = q.Domain ?? family.Domain,
            Tags = new CdtTags((q.Tags ?? family.Tags).Cognition, (q.Tags ?? family.Tags).Domain, ["Multiple Choice QA"]),
        };
    }
}
