using System.Text.Json.Nodes;
using Engine.Methods.Evaluation.Testbed.Families;

namespace Engine.Methods.Evaluation.Testbed;

/// <summary>Knobs of the long-document translation testbed (English → Glosh, one sentence per line).</summary>
public sealed record LongDocOptions
{
    public int N { get; init; } = 20;
    /// <summary>Document length in pages of <see cref="SentencesPerPage"/> sentences, drawn uniformly per document.</summary>
    public int MinPages { get; init; } = 4;
    public int MaxPages { get; init; } = 6;
    public int SentencesPerPage { get; init; } = 4;
    /// <summary>Named entities per document (each recurs on every page).</summary>
    public int Names { get; init; } = 3;
    /// <summary>Ambiguous terms per document: their sense is fixed on the first page and decides their translation later.</summary>
    public int Terms { get; init; } = 2;
    public ulong Seed { get; init; } = 1;
    public TestbedSplit Split { get; init; } = TestbedSplit.Train;
    /// <summary>Share of the space of name sets that belongs to the test split (decided by a hash of the names, so a test document never appears in training).</summary>
    public double TestFraction { get; init; } = 0.2;

    public void Validate()
    {
        if (N < 0) throw new ArgumentException("N must be ≥ 0.");
        if (MinPages < 1 || MaxPages < MinPages) throw new ArgumentException("pages must satisfy 1 ≤ MinPages ≤ MaxPages.");
        if (SentencesPerPage < 2) throw new ArgumentException("SentencesPerPage must be ≥ 2.");
        if (Names < 1 || Names > 6) throw new ArgumentException("Names must be in 1..6.");
        if (Terms < 0 || Terms > LongDocuments.AmbiguousTerms.Count) throw new ArgumentException($"Terms must be in 0..{LongDocuments.AmbiguousTerms.Count}.");
        if (Terms > SentencesPerPage) throw new ArgumentException("Terms must fit on the first page (Terms ≤ SentencesPerPage).");
        if (TestFraction <= 0 || TestFraction >= 1) throw new ArgumentException("TestFraction must be in (0, 1).");
    }
}

/// <summary>A name and its Glosh form (by <see cref="LongDocuments.GloshName"/>).</summary>
public sealed record DocEntity(string Source, string Target);

/// <summary>An ambiguous English noun, the sense this document gives it on its first page, and the Glosh word of that sense.</summary>
public sealed record DocTerm(string Source, string Target, string Sense);

/// <summary>A document: aligned source and reference sentences, its names and its ambiguous terms.</summary>
public sealed record LongDocument(string Id, IReadOnlyList<string> Source, IReadOnlyList<string> Reference, IReadOnlyList<DocEntity> Entities, IReadOnlyList<DocTerm> Terms)
{
    /// <summary>The record as the LongMT verbs read it: "text" and "reference" hold one sentence per line.</summary>
    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["text"] = string.Join('\n', Source),
        ["reference"] = string.Join('\n', Reference),
        ["src_lang"] = "en",
        ["tgt_lang"] = "glosh",
        ["entities"] = new JsonArray(Entities.Select(e => (JsonNode)new JsonObject { ["source"] = e.Source, ["target"] = e.Target }).ToArray()),
        ["terms"] = new JsonArray(Terms.Select(t => (JsonNode)new JsonObject { ["source"] = t.Source, ["target"] = t.Target, ["sense"] = t.Sense }).ToArray()),
    };
}

/// <summary>
/// Multi-page English → Glosh documents for document-level translation (LongMT). Built on the translate family's
/// language (its 32-word lexicon, subject–object–verb order, adjectives after nouns), with two things a page-by-page
/// translator cannot get right without memory:
/// <list type="bullet">
/// <item>Names are translated by a rule (<see cref="GloshName"/>: voiced consonants lose their voice, and a vowel-final
/// name takes -n, a consonant-final one -a), and every name recurs on every page, so the entity record has work to do.</item>
/// <item>Ambiguous terms (bat, bank, seal, key) have one Glosh word per sense. The first page fixes the sense
/// ("The bat is a beast."); later pages only say "the bat", so their translation depends on an earlier page.</item>
/// </list>
/// One sentence per line, references aligned line by line. The existing testbed families are untouched.
/// </summary>
public static class LongDocuments
{
    /// <summary>English ambiguous noun → its two senses (an English cue noun each).</summary>
    public static readonly IReadOnlyList<(string Term, string[] Senses)> AmbiguousTerms =
    [
        ("bat", ["beast", "tool"]),
        ("bank", ["shore", "coin"]),
        ("seal", ["beast", "stamp"]),
        ("key", ["lock", "tune"]),
    ];

    /// <summary>Glosh words of the new vocabulary: "term:sense" → word, each cue noun → word, and the copula.</summary>
    public static readonly IReadOnlyDictionary<string, string> Vocabulary = BuildVocabulary();

    public const string CopulaKey = "is";

    private static Dictionary<string, string> BuildVocabulary()
    {
        var keys = new List<string>();
        foreach (var (term, senses) in AmbiguousTerms)
            foreach (var s in senses) keys.Add(term + ":" + s);
        foreach (var cue in AmbiguousTerms.SelectMany(t => t.Senses).Distinct()) keys.Add(cue);
        keys.Add(CopulaKey);
        // A fixed seed apart from the translate family's, avoiding every word it already uses.
        var rng = new TestbedRng(0x10AD0C5UL);
        var words = Lexicon.Words(rng, keys.Count, 3, 5, TranslateFamily.Glosh.Values.Concat(TranslateFamily.Glosh.Keys));
        return keys.Zip(words).ToDictionary(p => p.First, p => p.Second);
    }

    /// <summary>The Glosh form of a name: b→p, d→t, g→k, v→f, z→s, then -n after a final vowel or -a after a final consonant.</summary>
    public static string GloshName(string name)
    {
        var chars = name.Select(c => char.ToLowerInvariant(c) switch { 'b' => 'p', 'd' => 't', 'g' => 'k', 'v' => 'f', 'z' => 's', var x => x }).ToArray();
        var s = new string(chars);
        s += "aeiou".Contains(s[^1]) ? "n" : "a";
        return char.ToUpperInvariant(s[0]) + s[1..];
    }

    public static List<LongDocument> Generate(LongDocOptions o)
    {
        o.Validate();
        var docs = new List<LongDocument>(o.N);
        for (int i = 0; i < o.N; i++)
        {
            for (ulong attempt = 0; ; attempt++)
            {
                var rng = new TestbedRng(TestbedRng.Derive(o.Seed, "longdoc", (ulong)o.Split, (ulong)i, attempt));
                var names = Lexicon.Names(rng, o.Names, TranslateFamily.Glosh.Values.Concat(Vocabulary.Values));
                if (IsTest(names, o.TestFraction) != (o.Split == TestbedSplit.Test)) continue;
                docs.Add(Document(rng, names, o, $"doc-{(o.Split == TestbedSplit.Test ? "test" : "train")}-s{o.Seed}-{i:D4}"));
                break;
            }
        }
        return docs;
    }

    /// <summary>The split is decided by the document's names, so no test document shares its name set with a training one.</summary>
    public static bool IsTest(IReadOnlyList<string> names, double testFraction) =>
        StableHash.Of("longdoc:" + string.Join(",", names)) < (ulong)(testFraction * ulong.MaxValue);

    public static void Write(IEnumerable<LongDocument> docs, string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using var w = new StreamWriter(path, false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" };
        foreach (var d in docs) w.WriteLine(d.ToJson().ToJsonString());
    }

    private abstract record Np;
    private sealed record NameNp(string Name) : Np;
    private sealed record CommonNp(string Noun, string? Adj) : Np;
    private sealed record TermNp(int Term) : Np;

    private static LongDocument Document(TestbedRng rng, List<string> names, LongDocOptions o, string id)
    {
        var termIdx = Enumerable.Range(0, AmbiguousTerms.Count).ToList();
        rng.Shuffle(termIdx);
        var terms = termIdx.Take(o.Terms).Select(t => (Index: t, Sense: rng.Next(2))).ToList();
        string TermGlosh(int slot) => Vocabulary[AmbiguousTerms[terms[slot].Index].Term + ":" + AmbiguousTerms[terms[slot].Index].Senses[terms[slot].Sense]];

        int pages = rng.Range(o.MinPages, o.MaxPages);
        var src = new List<string>();
        var gl = new List<string>();
        for (int p = 0; p < pages; p++)
        {
            // Page 0 states each term's sense at a random position; every later page mentions a term at least once.
            var cueAt = new Dictionary<int, int>();
            if (p == 0)
            {
                var slots = Enumerable.Range(0, o.SentencesPerPage).ToList();
                rng.Shuffle(slots);
                for (int t = 0; t < terms.Count; t++) cueAt[slots[t]] = t;
            }
            // Later pages take the terms in turn, so every term recurs after the first page when there are enough pages.
            int forcedTermAt = p > 0 && terms.Count > 0 ? rng.Next(o.SentencesPerPage) : -1;
            int forcedTerm = p > 0 && terms.Count > 0 ? (p - 1) % terms.Count : -1;
            for (int s = 0; s < o.SentencesPerPage; s++)
            {
                if (cueAt.TryGetValue(s, out var cueTerm))
                {
                    var (ti, sense) = terms[cueTerm];
                    var cue = AmbiguousTerms[ti].Senses[sense];
                    src.Add($"The {AmbiguousTerms[ti].Term} is a {cue}.");
                    gl.Add($"{TermGlosh(cueTerm)} {Vocabulary[cue]} {Vocabulary[CopulaKey]}.");
                    continue;
                }
                Np named = new NameNp(rng.Pick(names));
                Np other = s == forcedTermAt ? new TermNp(forcedTerm)
                    : p > 0 && terms.Count > 0 && rng.Next(4) == 0 ? new TermNp(rng.Next(terms.Count))
                    : rng.Next(4) == 0 ? new NameNp(rng.Pick(names.Where(n => n != ((NameNp)named).Name).DefaultIfEmpty(((NameNp)named).Name).ToList()))
                    : new CommonNp(rng.Pick(TranslateFamily.Nouns), rng.Coin() ? rng.Pick(TranslateFamily.Adjectives) : null);
                bool namedFirst = rng.Coin();
                var subj = namedFirst ? named : other;
                var obj = namedFirst ? other : named;
                var verb = rng.Pick(TranslateFamily.Verbs);
                var en = $"{En(subj)} {verb} {En(obj)}.";
                src.Add(char.ToUpperInvariant(en[0]) + en[1..]);
                gl.Add($"{Gl(subj)} {Gl(obj)} {TranslateFamily.Glosh[verb]}.");
            }
        }

        string En(Np np) => np switch
        {
            NameNp n => n.Name,
            CommonNp c => "the " + (c.Adj is null ? "" : c.Adj + " ") + c.Noun,
            TermNp t => "the " + AmbiguousTerms[terms[t.Term].Index].Term,
            _ => throw new InvalidOperationException(),
        };
        string Gl(Np np) => np switch
        {
            NameNp n => GloshName(n.Name),
            CommonNp c => TranslateFamily.Glosh[c.Noun] + (c.Adj is null ? "" : " " + TranslateFamily.Glosh[c.Adj]),
            TermNp t => TermGlosh(t.Term),
            _ => throw new InvalidOperationException(),
        };

        var entities = names.Select(n => new DocEntity(n, GloshName(n))).ToList();
        var docTerms = terms.Select((t, k) => new DocTerm(AmbiguousTerms[t.Index].Term, TermGlosh(k), AmbiguousTerms[t.Index].Senses[t.Sense])).ToList();
        return new LongDocument(id, src, gl, entities, docTerms);
    }
}
