namespace Engine.Methods.Evaluation.Testbed.Families;

/// <summary>
/// Translation between English and Glosh, a generated language fixed for all seeds: its own word for each of
/// 32 English words, subject–object–verb order, adjectives after nouns, no articles. Names are not translated
/// and must stay identical. Difficulty 1: a noun phrase; 2: a sentence; 3: a document of 2–3 pages
/// ("[1] ... [2] ...") where the same named entities recur on every page. Both directions.
/// </summary>
public sealed class TranslateFamily : TaskFamily
{
    public override string Name => "translate";
    public override string Domain => "language";
    public override string Description => "translation English <-> Glosh (generated language) with consistent names";
    public override CdtTags Tags { get; } = MakeTags(["FE", "RD"], "Multilingualism", "Rewrite");
    public override bool Matches(string expected, string extracted) => AnswerMatch.Text(expected, extracted);

    public static readonly string[] Nouns = ["fox", "bird", "river", "house", "king", "child", "horse", "boat", "tree", "stone", "lamp", "book", "road", "bread", "fish", "door"];
    public static readonly string[] Adjectives = ["red", "old", "small", "big", "quiet", "green", "dark", "bright"];
    public static readonly string[] Verbs = ["sees", "finds", "likes", "builds", "carries", "follows", "paints", "meets"];

    /// <summary>English word → Glosh word; generated once from a fixed seed so the language never changes.</summary>
    public static readonly IReadOnlyDictionary<string, string> Glosh = BuildLexicon();

    private static Dictionary<string, string> BuildLexicon()
    {
        var rng = new TestbedRng(0x61057E57UL);
        var english = Nouns.Concat(Adjectives).Concat(Verbs).ToArray();
        var words = Lexicon.Words(rng, english.Length, 3, 5, english);
        return english.Zip(words).ToDictionary(p => p.First, p => p.Second);
    }

    private sealed record Np(string? Name, string? Adj, string? Noun);
    private sealed record Sentence(Np Subject, string? Verb, Np? Object);

    private static string EnNp(Np np) => np.Name ?? "the " + (np.Adj is null ? "" : np.Adj + " ") + np.Noun;
    private static string GlNp(Np np) => np.Name ?? Glosh[np.Noun!] + (np.Adj is null ? "" : " " + Glosh[np.Adj]);

    private static string En(Sentence s, bool glossOrder = false)
    {
        if (s.Verb is null) return EnNp(s.Subject);
        var text = glossOrder ? $"{EnNp(s.Subject)} {EnNp(s.Object!)} {s.Verb}." : $"{EnNp(s.Subject)} {s.Verb} {EnNp(s.Object!)}.";
        return char.ToUpperInvariant(text[0]) + text[1..];
    }

    private static string Gl(Sentence s, bool englishOrder = false)
    {
        if (s.Verb is null) return GlNp(s.Subject);
        return englishOrder ? $"{GlNp(s.Subject)} {Glosh[s.Verb]} {GlNp(s.Object!)}." : $"{GlNp(s.Subject)} {GlNp(s.Object!)} {Glosh[s.Verb]}.";
    }

    private static string Doc(List<List<Sentence>> pages, Func<Sentence, string> render) =>
        pages.Count == 1 ? string.Join(' ', pages[0].Select(render))
            : string.Join(' ', pages.Select((p, i) => $"[{i + 1}] " + string.Join(' ', p.Select(render))));

    public override TaskInstance Generate(TestbedRng rng, int difficulty)
    {
        Np Common(bool adj) => new(null, adj ? rng.Pick(Adjectives) : null, rng.Pick(Nouns));
        var pages = new List<List<Sentence>>();
        var names = Lexicon.Names(rng, 2);
        if (difficulty == 1) pages.Add([new Sentence(Common(rng.Coin()), null, null)]);
        else if (difficulty == 2)
        {
            var subj = rng.Coin() ? new Np(names[0], null, null) : Common(rng.Coin());
            var obj = subj.Name is null && rng.Coin() ? new Np(names[0], null, null) : Common(rng.Coin());
            pages.Add([new Sentence(subj, rng.Pick(Verbs), obj)]);
        }
        else
        {
            int pageCount = rng.Range(2, 3);
            for (int p = 0; p < pageCount; p++)
            {
                var page = new List<Sentence>();
                int count = rng.Range(1, 2);
                for (int s = 0; s < count; s++)
                {
                    // Every sentence names one of the two entities, so both recur across pages.
                    var named = new Np(names[(p + s) % 2], null, null);
                    var other = rng.Next(3) == 0 ? new Np(names[(p + s + 1) % 2], null, null) : Common(rng.Coin());
                    page.Add(rng.Coin() ? new Sentence(named, rng.Pick(Verbs), other) : new Sentence(other, rng.Pick(Verbs), named));
                }
                pages.Add(page);
            }
        }
        bool toGlosh = rng.Coin();
        Func<Sentence, string> src = toGlosh ? s => En(s) : s => Gl(s);
        Func<Sentence, string> dst = toGlosh ? s => Gl(s) : s => En(s);
        var answer = Doc(pages, dst);

        // Steps: the glossary entries used, in order of first appearance, then the names kept and the order rule.
        var steps = new List<string>();
        var seen = new HashSet<string>();
        var usedNames = new List<string>();
        foreach (var s in pages.SelectMany(p => p))
            foreach (var np in new[] { s.Subject, s.Object })
            {
                if (np is null) continue;
                if (np.Name is not null) { if (!usedNames.Contains(np.Name)) usedNames.Add(np.Name); continue; }
                foreach (var w in new[] { np.Noun, np.Adj })
                    if (w is not null && seen.Add(w)) steps.Add(toGlosh ? $"{w} = {Glosh[w]}" : $"{Glosh[w]} = {w}");
            }
        foreach (var s in pages.SelectMany(p => p))
            if (s.Verb is not null && seen.Add(s.Verb)) steps.Add(toGlosh ? $"{s.Verb} = {Glosh[s.Verb]}" : $"{Glosh[s.Verb]} = {s.Verb}");
        if (usedNames.Count > 0) steps.Add("names stay the same: " + string.Join(", ", usedNames));
        steps.Add(pages[0][0].Verb is null ? "Glosh puts the adjective after the noun" : "Glosh order is subject, object, verb");

        // Distractors: one word swapped for another of its class; the other language's word order; a dropped adjective.
        var candidates = new List<string>();
        var first = pages[0][0];
        var np0 = first.Subject.Name is null ? first.Subject : first.Object ?? first.Subject;
        if (np0.Noun is not null)
        {
            var swapped = np0 with { Noun = Nouns.First(n => n != np0.Noun) };
            candidates.Add(Doc(Replace(pages, np0, swapped), dst));
            if (np0.Adj is not null) candidates.Add(Doc(Replace(pages, np0, np0 with { Adj = null }), dst));
            else candidates.Add(Doc(Replace(pages, np0, np0 with { Adj = rng.Pick(Adjectives) }), dst));
        }
        candidates.Add(Doc(pages, toGlosh ? s => Gl(s, englishOrder: true) : s => En(s, glossOrder: true)));
        if (first.Verb is not null) candidates.Add(Doc(Replace(pages, first, first with { Verb = Verbs.First(v => v != first.Verb) }), dst));
        rng.Shuffle(candidates);

        // Hallucination: a name changed on the last page (an entity kept inconsistent), or an invented word.
        Fabrication fabrication;
        var lastNamed = pages[^1].SelectMany(s => new[] { s.Subject, s.Object }).LastOrDefault(n => n?.Name is not null);
        if (lastNamed is not null)
        {
            var fake = Lexicon.Names(rng, 1, names)[0];
            var fabPages = pages.Select(p => p.ToList()).ToList();
            for (int i = 0; i < fabPages[^1].Count; i++)
            {
                var s = fabPages[^1][i];
                fabPages[^1][i] = s with
                {
                    Subject = s.Subject.Name == lastNamed.Name ? new Np(fake, null, null) : s.Subject,
                    Object = s.Object?.Name == lastNamed.Name ? new Np(fake, null, null) : s.Object,
                };
            }
            fabrication = new Fabrication($"{lastNamed.Name} is called {fake} here.", Doc(fabPages, dst));
        }
        else
        {
            var fakeWord = Lexicon.Words(rng, 1, 4, 5, Glosh.Values.Concat(Glosh.Keys))[0];
            var fab = toGlosh ? fakeWord + (np0.Adj is null ? "" : " " + Glosh[np0.Adj]) : "the " + (np0.Adj is null ? "" : np0.Adj + " ") + fakeWord;
            fabrication = new Fabrication($"{np0.Noun} is also written {fakeWord}.", fab);
        }
        var from = toGlosh ? "English" : "Glosh";
        var to = toGlosh ? "Glosh" : "English";
        return new TaskInstance($"Translate from {from} to {to}.", Doc(pages, src), $"We translate word by word into {to}.", steps, answer,
            Rejected(answer, candidates), fabrication);
    }

    private static List<List<Sentence>> Replace(List<List<Sentence>> pages, Np from, Np to) =>
        pages.Select(p => p.Select(s => s with { Subject = ReferenceEquals(s.Subject, from) ? to : s.Subject, Object = ReferenceEquals(s.Object, from) ? to : s.Object }).ToList()).ToList();

    private static List<List<Sentence>> Replace(List<List<Sentence>> pages, Sentence from, Sentence to) =>
        pages.Select(p => p.Select(s => ReferenceEquals(s, from) ? to : s).ToList()).ToList();
}
