using Engine.Models.Embeddings;

namespace Engine.Methods.Synthesis.LongMT;

/// <summary>An entity record: the name, its translation (the first one chosen wins), and where it was seen.</summary>
public sealed record EntityRecord(string Source, string Target, int FirstPage, int LastPage);

/// <summary>What a finished page adds to the memory: its summary and the names found with their translations.</summary>
public sealed record PageMemoryUpdate(string? Summary, IReadOnlyList<EntityGloss> Entities)
{
    public static PageMemoryUpdate None { get; } = new(null, []);
}

/// <summary>
/// The agent's three memories of one document (Loong's "3E"): page summaries, every earlier source/target sentence
/// pair, and entity records. Retrieval ranks by cosine similarity of <see cref="ITextEmbedder"/> vectors to the
/// page's text. The memory changes only through <see cref="Apply"/> after a page is finished, so replaying the logged
/// updates of finished pages rebuilds it exactly (resume).
/// </summary>
public sealed class DocumentMemory(ITextEmbedder embedder, int topSummaries = 4, int topPairs = 4, int maxEntities = 8)
{
    private sealed record Summary(int Page, string Text, float[] Vector);
    private sealed record Pair(int Page, string Source, string Target, float[] Vector);

    private readonly List<Summary> _summaries = [];
    private readonly List<Pair> _pairs = [];
    private readonly Dictionary<string, EntityRecord> _entities = new(StringComparer.Ordinal);
    private readonly List<string> _entityOrder = [];

    public IReadOnlyList<EntityRecord> Entities => _entityOrder.Select(n => _entities[n]).ToList();
    public IReadOnlyList<(string Source, string Target)> Pairs => _pairs.Select(p => (p.Source, p.Target)).ToList();
    public int Pages { get; private set; }

    /// <summary>Add a finished page: its sentence pairs (blank ones skipped), its summary and any new names (an existing record keeps its translation).</summary>
    public void Apply(int page, IReadOnlyList<string> source, IReadOnlyList<string> target, PageMemoryUpdate update)
    {
        if (source.Count != target.Count) throw new ArgumentException($"{target.Count} target lines for {source.Count} source lines.");
        var keep = Enumerable.Range(0, source.Count).Where(i => source[i].Length > 0 && target[i].Length > 0).ToList();
        var vectors = embedder.Embed(keep.Select(i => source[i]).ToList());
        for (int k = 0; k < keep.Count; k++) _pairs.Add(new Pair(page, source[keep[k]], target[keep[k]], vectors[k]));
        if (!string.IsNullOrWhiteSpace(update.Summary))
            _summaries.Add(new Summary(page, update.Summary.Trim(), embedder.Embed([update.Summary])[0]));
        foreach (var e in update.Entities)
        {
            if (string.IsNullOrWhiteSpace(e.Source) || string.IsNullOrWhiteSpace(e.Target)) continue;
            if (_entities.TryGetValue(e.Source, out var r)) _entities[e.Source] = r with { LastPage = page };
            else { _entities[e.Source] = new EntityRecord(e.Source, e.Target, page, page); _entityOrder.Add(e.Source); }
        }
        Pages = Math.Max(Pages, page + 1);
    }

    /// <summary>What each module would return for this page, in canonical module order (modules with nothing to show are absent).</summary>
    public List<(MemoryModule Module, IReadOnlyList<MemoryItem> Items)> Offer(IReadOnlyList<string> page)
    {
        var text = string.Join(" ", page);
        float[]? query = null;
        float[] Query() => query ??= embedder.Embed([text])[0];
        var offer = new List<(MemoryModule, IReadOnlyList<MemoryItem>)>();
        var summaries = _summaries.Count <= topSummaries ? _summaries : Top(_summaries, s => s.Vector, Query(), topSummaries).OrderBy(s => s.Page).ToList();
        if (summaries.Count > 0) offer.Add((MemoryModule.ViewSummaries, summaries.Select(s => (MemoryItem)new SummaryItem(s.Page, s.Text)).ToList()));
        if (_pairs.Count > 0)
        {
            var pairs = Top(Enumerable.Range(0, _pairs.Count).ToList(), i => _pairs[i].Vector, Query(), topPairs).Order().Select(i => _pairs[i]);
            offer.Add((MemoryModule.ViewPages, pairs.Select(p => (MemoryItem)new PairItem(p.Page, p.Source, p.Target)).ToList()));
        }
        var names = _entityOrder.Where(n => page.Any(l => TextMatch.ContainsWord(l, n))).Take(maxEntities)
            .Select(n => _entities[n]).Select(r => (MemoryItem)new EntityItem(r.Source, r.Target, $"first translated on page {r.FirstPage + 1}")).ToList();
        if (names.Count > 0) offer.Add((MemoryModule.LookUpEntities, names));
        return offer;
    }

    /// <summary>The k most similar (ties: earlier first).</summary>
    private static List<T> Top<T>(IReadOnlyList<T> items, Func<T, float[]> vector, float[] query, int k) =>
        items.Select((x, i) => (x, i, sim: CosineSimilarity.Of(vector(x), query))).OrderByDescending(t => t.sim).ThenBy(t => t.i).Take(k).Select(t => t.x).ToList();
}
