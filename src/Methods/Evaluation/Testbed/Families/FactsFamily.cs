using System.Text.RegularExpressions;

namespace Engine.Methods.Evaluation.Testbed.Families;

/// <summary>A relation of a fact domain: its name ("home port") and the closed vocabulary its values come from.</summary>
public sealed record FactRelation(string Name, IReadOnlyList<string> Values);

/// <summary>A fact domain: a kind of entity and its four relations.</summary>
public sealed record FactDomain(string Name, string Description, IReadOnlyList<FactRelation> Relations);

/// <summary>
/// Fact passages in one domain: short passages of sentences "The R of E is V." about 2–4 entities (difficulty 1–3:
/// 2 entities × 2 relations, 3 × 3, 4 × 4 shuffled), and the question "What is the R of E?" whose answer is V. Every
/// domain shares this grammar and the entity names but has its own relations and values, so a model or a synthesiser
/// trained on some domains meets new words, not a new grammar, in a held-out one (AQuilt's setting: a task type
/// known from other domains, applied to unlabelled text of a new one). Names and values come from small closed lists
/// (single tokens for a BPE trained on testbed text). These families are not in <see cref="TaskRegistry.All"/>, so
/// "all" and every existing option generate exactly what they did before.
/// </summary>
public sealed class FactsFamily(FactDomain domain) : TaskFamily, IPassageFamily
{
    public FactDomain FactDomain => domain;
    public override string Name => "facts_" + domain.Name;
    public override string Domain => "facts";
    public override string Description => domain.Description;
    public override CdtTags Tags { get; } = MakeTags(["RD"], "Literature", "Extractive QA");
    public override bool Matches(string expected, string extracted) => AnswerMatch.Label(expected, extracted);

    public const string Instruction = "Answer from the passage.";

    public static string Sentence(string relation, string entity, string value) => $"The {relation} of {entity} is {value}.";
    public static string Question(string relation, string entity) => $"What is the {relation} of {entity}?";
    public static string Logic(string relation, string entity, string value) => "The passage says: " + Sentence(relation, entity, value);

    public override TaskInstance Generate(TestbedRng rng, int difficulty)
    {
        int entities = difficulty + 1, relations = Math.Min(difficulty + 1, domain.Relations.Count);
        var names = Pick(rng, FactVocabulary.Names, entities);
        var rels = Pick(rng, domain.Relations, relations);
        var facts = new List<(string Entity, FactRelation Relation, string Value)>();
        foreach (var rel in rels)
        {
            // Distinct values per relation (and never an entity's own name), so every question has one answer.
            var values = Pick(rng, rel.Values, entities, v => names.Contains(v));
            for (int e = 0; e < entities; e++) facts.Add((names[e], rel, values[e]));
        }
        var ordered = facts.OrderBy(f => names.IndexOf(f.Entity)).ThenBy(f => rels.IndexOf(f.Relation)).ToList();
        if (difficulty == 3) rng.Shuffle(ordered);
        var passage = string.Join(' ', ordered.Select(f => Sentence(f.Relation.Name, f.Entity, f.Value)));
        var (entity, relation, answer) = rng.Pick(facts);
        var candidates = facts.Where(f => f.Relation == relation && f.Entity != entity).Select(f => f.Value)
            .Concat(facts.Where(f => f.Entity == entity && f.Relation != relation).Select(f => f.Value))
            .Concat(relation.Values).ToList();
        string fab;
        do fab = rng.Pick(relation.Values); while (facts.Any(f => f.Value == fab) || names.Contains(fab));
        return new TaskInstance(Instruction, passage + "\n" + Question(relation.Name, entity), $"We find {entity} in the passage.",
            [Logic(relation.Name, entity, answer)], answer, Rejected(answer, candidates),
            new Fabrication($"Other records give {fab} as the {relation.Name} of {entity}.", fab));
    }

    private static List<T> Pick<T>(TestbedRng rng, IReadOnlyList<T> from, int count, Func<T, bool>? skip = null)
    {
        var pool = from.Where(x => skip is null || !skip(x)).ToList();
        rng.Shuffle(pool);
        return pool.Take(count).ToList();
    }

    public (string Passage, string Question) Split(string input)
    {
        int nl = input.LastIndexOf('\n');
        return nl < 0 ? (input, "") : (input[..nl], input[(nl + 1)..]);
    }

    /// <summary>
    /// Checks a question and answer written about a passage of this family: the question must be "What is the R of E?"
    /// for a fact the passage states, and the answer that fact's value (the label rule: case and one trailing period
    /// ignored). Nothing hidden is needed: the passage states every fact.
    /// </summary>
    private static readonly Regex QuestionPattern = new(@"^What is the (.+) of ([A-Z][a-z]+)\?$", RegexOptions.CultureInvariant);
    private static readonly Regex SentencePattern = new(@"The (.+?) of ([A-Z][a-z]+) is ([^ .]+)\.", RegexOptions.CultureInvariant);

    public PassageCheck Check(string passage, string question, string answer)
    {
        var q = QuestionPattern.Match(question.Trim());
        if (!q.Success) return new PassageCheck(PassageVerdict.Unanswerable, null, "the question is not of the form 'What is the R of E?'");
        string rel = q.Groups[1].Value, entity = q.Groups[2].Value;
        foreach (Match m in SentencePattern.Matches(passage))
        {
            if (m.Groups[1].Value != rel || m.Groups[2].Value != entity) continue;
            var value = m.Groups[3].Value;
            return Matches(value, answer.Trim())
                ? new PassageCheck(PassageVerdict.Correct, value, "correct")
                : new PassageCheck(PassageVerdict.Wrong, value, "the answer differs from the passage");
        }
        return new PassageCheck(PassageVerdict.Unanswerable, null, $"the passage states no {rel} of {entity}");
    }
}

/// <summary>The closed vocabularies of the fact domains, and the five domains.</summary>
public static class FactVocabulary
{
    public static readonly IReadOnlyList<string> Names =
    [
        "Adok", "Bemo", "Calu", "Dapin", "Efor", "Gavo", "Hesk", "Ilor", "Jomi", "Kafu", "Lidro", "Mavek", "Nuro", "Obin",
        "Pasko", "Rovi", "Sibu", "Tovan", "Ulvo", "Vesko", "Wado", "Yeru", "Zafi", "Bolin", "Demar", "Fesu", "Gorin", "Hamu",
        "Kelbo", "Lusa", "Mirod", "Nesko", "Pulo", "Ruvak", "Sedi", "Tamek", "Vorin", "Zeku", "Fuvo", "Kiro",
    ];

    public static readonly IReadOnlyList<string> Towns =
    [
        "Tobel", "Varn", "Orsk", "Dunmo", "Pelik", "Rasto", "Mirav", "Kolde", "Zevit", "Brask", "Fenlo", "Gudra", "Hosk", "Ibro",
        "Jarvo", "Kesk", "Lomra", "Nirvo", "Ossa", "Pruda", "Quelm", "Rivna", "Sarvo", "Tulek", "Udra", "Vesmo", "Wirl", "Yarko",
    ];

    public static readonly IReadOnlyList<FactDomain> Domains =
    [
        new("people", "facts about fictional people stated in a passage",
            [new("birthplace", Towns), new("trade", ["baker", "weaver", "sailor", "miner", "potter", "scribe", "farmer", "smith"]),
             new("sibling", Names), new("pet", ["cat", "dog", "goat", "hen", "owl", "fox", "mule", "yak"])]),
        new("countries", "facts about fictional countries stated in a passage",
            [new("capital", Towns), new("currency", ["dorn", "velk", "tisa", "mirl", "pask", "gorb", "lune", "sabe"]),
             new("river", ["Aslo", "Brin", "Coro", "Dova", "Elva", "Fyrn", "Gala", "Husa"]), new("mountain", ["Karst", "Lodun", "Morva", "Nebo", "Oxel", "Peira", "Rund", "Selvo"])]),
        new("ships", "facts about fictional ships stated in a passage",
            [new("home port", Towns), new("cargo", ["grain", "salt", "timber", "wool", "spice", "copper", "tea", "silk"]),
             new("captain", Names), new("flag", ["red", "blue", "green", "gold", "black", "white", "grey", "amber"])]),
        new("guilds", "facts about fictional guilds stated in a passage",
            [new("hall", Towns), new("craft", ["glass", "rope", "ink", "bells", "clocks", "maps", "lamps", "nets"]),
             new("master", Names), new("emblem", ["anchor", "key", "crown", "wheel", "star", "tower", "hammer", "bridge"])]),
        new("comets", "facts about fictional comets stated in a passage",
            [new("discoverer", Names), new("observatory", Towns),
             new("tail", ["short", "long", "forked", "faint", "bright", "twin", "curved", "broad"]), new("orbit", ["wide", "narrow", "oval", "round", "steep", "flat", "slow", "swift"])]),
    ];
}
