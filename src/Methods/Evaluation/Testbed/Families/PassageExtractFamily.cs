namespace Engine.Methods.Evaluation.Testbed.Families;

/// <summary>
/// Extraction from a generated biography passage about fictional people: birthplace, birth year, job or
/// sibling. Difficulty = number of people described (1–3), the others acting as distractors.
/// The answer is a span of the passage.
/// </summary>
public sealed class PassageExtractFamily : TaskFamily
{
    public override string Name => "passage_extract";
    public override string Domain => "knowledge";
    public override string Description => "extraction of a fact from a generated passage";
    public override CdtTags Tags { get; } = MakeTags(["RD"], "Literature", "Extractive QA");
    public override bool Matches(string expected, string extracted) => AnswerMatch.Label(expected, extracted);

    public override TaskInstance Generate(TestbedRng rng, int difficulty)
    {
        int people = difficulty;
        var names = Lexicon.Names(rng, people * 3);
        var sentences = new List<(string Text, string Place, string Year, string Job, string Sibling)>();
        var parts = new List<string>();
        for (int p = 0; p < people; p++)
        {
            string who = names[p], place = names[people + p], sibling = names[2 * people + p];
            string year = N(rng.Range(1700, 1899)), job = rng.Pick(Lexicon.Jobs);
            var born = $"{who} was born in {place} in {year}.";
            var work = $"{who} worked as a {job}.";
            var sib = $"{who} had a sibling named {sibling}.";
            sentences.Add((born + " " + work + " " + sib, place, year, job, sibling));
            parts.Add(born);
            if (difficulty >= 2 || rng.Coin()) parts.Add(work); else parts.Add(sib);
            if (difficulty >= 2) parts.Add(sib);
        }
        int target = rng.Next(people);
        var t = sentences[target];
        var who0 = names[target];
        // Ask only about facts that are in the passage.
        var askable = new List<(string Q, string A, string Sentence)> { ($"Where was {who0} born?", t.Place, $"{who0} was born in {t.Place} in {t.Year}."),
            ($"In which year was {who0} born?", t.Year, $"{who0} was born in {t.Place} in {t.Year}.") };
        if (parts.Contains($"{who0} worked as a {t.Job}.")) askable.Add(($"What was {who0}'s job?", t.Job, $"{who0} worked as a {t.Job}."));
        if (parts.Contains($"{who0} had a sibling named {t.Sibling}.")) askable.Add(($"What was the name of {who0}'s sibling?", t.Sibling, $"{who0} had a sibling named {t.Sibling}."));
        var (q, answer, evidence) = rng.Pick(askable);
        var candidates = new List<string>();
        foreach (var s in sentences) candidates.AddRange([s.Place, s.Year, s.Job, s.Sibling]);
        candidates.AddRange(names);
        candidates.Add(N(long.Parse(t.Year, System.Globalization.CultureInfo.InvariantCulture) + 1));
        candidates.AddRange(Lexicon.Jobs);
        // Prefer distractors of the same kind as the answer (another year for a year, another name for a name).
        bool isYear = char.IsDigit(answer[0]);
        bool isJob = Lexicon.Jobs.Contains(answer);
        var sameKind = candidates.Where(c => char.IsDigit(c[0]) == isYear && Lexicon.Jobs.Contains(c) == isJob).ToList();
        rng.Shuffle(sameKind);
        string fab;
        if (isYear) fab = N(rng.Range(1900, 1999));
        else if (isJob) fab = rng.Pick(new[] { "glazier", "cooper", "tanner", "herald" });
        else do fab = Lexicon.Name(rng); while (names.Contains(fab));
        return new TaskInstance("Answer from the passage.", string.Join(' ', parts) + "\n" + q, $"We find {who0} in the passage.",
            [$"The passage says: {evidence}"], answer, Rejected(answer, sameKind.Concat(candidates)),
            new Fabrication($"Other sources say the answer is {fab}.", fab));
    }
}
