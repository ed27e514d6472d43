using Engine.Methods.Evaluation.Testbed.Families;

namespace Engine.Methods.Evaluation.Testbed;

/// <summary>All task families, by name, in a fixed order (the order matters for determinism).</summary>
public static class TaskRegistry
{
    public static readonly IReadOnlyList<ITaskFamily> All = Build();

    /// <summary>
    /// Families selected only by name or by their domain ("facts"), never by "all": the fact-passage domains. Kept out
    /// of <see cref="All"/> so that every existing option (and "all") generates byte for byte what it did before.
    /// </summary>
    public static readonly IReadOnlyList<ITaskFamily> Extra = FactVocabulary.Domains.Select(d => (ITaskFamily)new FactsFamily(d)).ToList();

    /// <summary>Families whose prompts are a passage and a question (raw passages for synthesis, checkable questions).</summary>
    public static IEnumerable<IPassageFamily> PassageFamilies => All.Concat(Extra).OfType<IPassageFamily>();

    private static IEnumerable<ITaskFamily> Known => All.Concat(Extra);

    private static List<ITaskFamily> Build()
    {
        var arith = new ArithmeticFamily();
        var word = new WordProblemFamily();
        var unit = new UnitConvertFamily();
        var date = new DateFamily();
        var seq = new SequenceFamily();
        var syl = new SyllogismFamily();
        var kb = new KbLookupFamily();
        var passage = new PassageExtractFamily();
        return
        [
            arith, word, unit, date, seq,
            new StringOpsFamily(), new ListOpsFamily(),
            syl, new RuleClassifyFamily(),
            kb, passage,
            new TranslateFamily(),
            new ExprEvalFamily(),
            new MultipleChoiceFamily([arith, word, unit, date, seq, syl, kb, passage]),
        ];
    }

    public static ITaskFamily Get(string name) =>
        Known.FirstOrDefault(f => f.Name == name)
        ?? throw new ArgumentException($"Unknown testbed task '{name}'. Known: {string.Join(", ", Known.Select(f => f.Name))}.");

    /// <summary>Parses "all", a comma list of family names, or domain names (e.g. "math,translate").</summary>
    public static IReadOnlyList<ITaskFamily> Parse(string list)
    {
        var picked = new List<ITaskFamily>();
        foreach (var item in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (item == "all") { picked.AddRange(All); continue; }
            var byDomain = Known.Where(f => f.Domain == item).ToList();
            if (byDomain.Count > 0) picked.AddRange(byDomain);
            else picked.Add(Get(item));
        }
        if (picked.Count == 0) throw new ArgumentException("No testbed task selected: give 'all', family names or domain names.");
        var order = Known.ToList();
        return picked.Distinct().OrderBy(f => order.IndexOf(f)).ToList();
    }
}
