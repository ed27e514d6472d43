namespace Engine.Methods.Synthesis.LongMT;

/// <summary>
/// Whether each named entity is translated the same way throughout a document. For an entity, every sentence whose
/// source mentions it (as a whole word) is one occurrence; the occurrence's rendering is the hypothesis word closest
/// to the entity's expected target form (Dice coefficient of character bigrams, at least <see cref="MinSimilarity"/>;
/// otherwise the entity is missing there). The entity's consistency is the share of its occurrences that use its most
/// frequent rendering (a missing rendering never agrees); the document's is the mean over entities that occur at least
/// twice. The expected form only locates the rendering: a name consistently translated wrong is consistent.
/// </summary>
public static class EntityConsistency
{
    public const double MinSimilarity = 0.5;

    /// <summary>Mean over entities with ≥ 2 occurrences of (count of the most frequent non-missing rendering) / occurrences; null when no entity recurs.</summary>
    public static double? Score(IEnumerable<IReadOnlyList<string?>> renderingsPerEntity)
    {
        double sum = 0;
        int entities = 0;
        foreach (var r in renderingsPerEntity)
        {
            if (r.Count < 2) continue;
            int best = r.Where(x => x is not null).GroupBy(x => x, StringComparer.Ordinal).Select(g => g.Count()).DefaultIfEmpty(0).Max();
            sum += (double)best / r.Count;
            entities++;
        }
        return entities == 0 ? null : sum / entities;
    }

    /// <summary>The entity's rendering in each hypothesis sentence whose source sentence mentions it (null = not found).</summary>
    public static List<string?> Renderings(IReadOnlyList<string> source, IReadOnlyList<string> hypothesis, string entity, string expected)
    {
        if (source.Count != hypothesis.Count) throw new ArgumentException($"{hypothesis.Count} hypothesis sentences for {source.Count} source sentences.");
        var found = new List<string?>();
        for (int i = 0; i < source.Count; i++)
        {
            if (!TextMatch.ContainsWord(source[i], entity)) continue;
            string? best = null;
            double bestSim = MinSimilarity;
            foreach (var w in TextMatch.Words(hypothesis[i]))
            {
                double sim = Dice(w, expected);
                if (sim >= bestSim && (best is null || sim > bestSim)) { best = w; bestSim = sim; }
            }
            found.Add(best);
        }
        return found;
    }

    /// <summary>The document's consistency over a glossary of (source name, expected target name); null when no entity recurs.</summary>
    public static double? Document(IReadOnlyList<string> source, IReadOnlyList<string> hypothesis, IEnumerable<EntityGloss> glossary) =>
        Score(glossary.Select(g => (IReadOnlyList<string?>)Renderings(source, hypothesis, g.Source, g.Target)));

    /// <summary>Dice coefficient of the two words' character-bigram multisets (a one-letter word is its own bigram).</summary>
    public static double Dice(string a, string b)
    {
        var ba = Bigrams(a);
        var bb = Bigrams(b);
        if (ba.Count + bb.Count == 0) return 0;
        var counts = ba.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        int common = 0;
        foreach (var x in bb)
            if (counts.TryGetValue(x, out var c) && c > 0) { common++; counts[x] = c - 1; }
        return 2.0 * common / (ba.Count + bb.Count);
    }

    private static List<string> Bigrams(string w) =>
        w.Length < 2 ? (w.Length == 0 ? [] : [w]) : Enumerable.Range(0, w.Length - 1).Select(i => w.Substring(i, 2)).ToList();
}

/// <summary>A named entity and its translation: from a glossary (testbed references) or from the agent's entity memory.</summary>
public sealed record EntityGloss(string Source, string Target);
