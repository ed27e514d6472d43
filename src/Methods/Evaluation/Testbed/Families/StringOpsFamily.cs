namespace Engine.Methods.Evaluation.Testbed.Families;

/// <summary>
/// String manipulation on a made-up word: reverse, sort letters, remove repeated letters, upper case.
/// Difficulty 1: one operation on a 4-letter word; 2: one operation on 6–8 letters; 3: two operations in a row
/// on 7–9 letters. Case matters in the check.
/// </summary>
public sealed class StringOpsFamily : TaskFamily
{
    public override string Name => "string_ops";
    public override string Domain => "text";
    public override string Description => "reverse, sort letters, dedupe letters, upper case";
    public override CdtTags Tags { get; } = MakeTags(["FW", "RD"], "Linguistics", "Rewrite");
    public override bool Matches(string expected, string extracted) => AnswerMatch.Exact(expected, extracted);

    private static readonly string[] Ops = ["reverse", "sort", "dedupe", "upper"];

    internal static string Apply(string op, string w) => op switch
    {
        "reverse" => new string(w.Reverse().ToArray()),
        "sort" => new string(w.OrderBy(c => c).ToArray()),
        "dedupe" => new string(w.Distinct().ToArray()),
        "upper" => w.ToUpperInvariant(),
        _ => throw new ArgumentException($"string_ops: unknown op '{op}'."),
    };

    private static string Phrase(string op) => op switch
    {
        "reverse" => "reverse the letters",
        "sort" => "sort the letters from a to z",
        "dedupe" => "remove repeated letters, keeping the first of each",
        _ => "write it in upper case",
    };

    public override TaskInstance Generate(TestbedRng rng, int difficulty)
    {
        var word = difficulty switch { 1 => Lexicon.Word(rng, 4), 2 => Lexicon.Word(rng, rng.Range(6, 8)), _ => Lexicon.Word(rng, rng.Range(7, 9)) };
        var ops = new List<string> { rng.Pick(Ops) };
        if (difficulty == 3) { string second; do second = rng.Pick(Ops); while (second == ops[0]); ops.Add(second); }
        var steps = new List<string> { "letters: " + string.Join(' ', word.ToCharArray()) };
        var cur = word;
        foreach (var op in ops)
        {
            var next = Apply(op, cur);
            steps.Add($"{op}: {cur} -> {next}");
            cur = next;
        }
        var instruction = ops.Count == 1
            ? char.ToUpperInvariant(Phrase(ops[0])[0]) + Phrase(ops[0])[1..] + "."
            : $"First {Phrase(ops[0])}, then {Phrase(ops[1])}.";
        var candidates = Ops.Select(o => Apply(o, word)).ToList();
        candidates.Add(word);
        candidates.Add(Swap(cur, rng));
        candidates.Add(cur.Length > 1 ? cur[..^1] : cur + "a");
        rng.Shuffle(candidates);
        // Fabrication: the answer for a word the user never gave (one letter replaced by one not in the word).
        var missing = "bdfgklmnprstvzaeiou".First(c => !word.Contains(c));
        var fakeWord = word[..^1] + missing;
        var fab = fakeWord;
        foreach (var op in ops) fab = Apply(op, fab);
        return new TaskInstance(instruction, word, $"The word is {word}.", steps, cur, Rejected(cur, candidates),
            new Fabrication($"The word was given as {fakeWord}.", fab));
    }

    internal static string Swap(string s, TestbedRng rng)
    {
        for (int tries = 0; tries < 8 && s.Length > 1; tries++)
        {
            int i = rng.Next(s.Length - 1);
            if (s[i] != s[i + 1]) return s[..i] + s[i + 1] + s[i] + s[(i + 2)..];
        }
        return s + s[^1];
    }
}
