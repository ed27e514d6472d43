namespace Engine.Methods.Synthesis.LongMT;

/// <summary>
/// Scores a set of modules for the page: translates it with that memory (the <paramref name="sample"/>-th sample of the
/// set) and returns the normalised reward in [−1, 1].
/// </summary>
public delegate Task<double> EvaluateModules(IReadOnlyList<MemoryModule> modules, int sample, CancellationToken ct);

/// <summary>A search over one page's module calls; MCTS and greedy share this interface, the tree and the pair extraction.</summary>
public interface ISearchStrategy
{
    string Identity { get; }
    /// <summary>Visits a pair side needs (<see cref="PairExtractor"/>).</summary>
    int MinVisits { get; }
    Task<SearchNode> SearchAsync(IReadOnlyList<MemoryModule> offered, EvaluateModules evaluate, CancellationToken ct = default);
    /// <summary>The path the search settles on; its last node's modules are the page's memory.</summary>
    List<SearchNode> ChosenPath(SearchNode root);

    public static ISearchStrategy Create(SearchOptions o) => o.Strategy switch
    {
        SearchKind.Mcts => new MctsSearch(o.Simulations, o.Exploration, o.MinVisits),
        SearchKind.Greedy => new GreedySearch(o.SamplesPerChild),
        _ => throw new ArgumentOutOfRangeException(nameof(o)),
    };
}

/// <summary>
/// Monte Carlo tree search with UCB1 (the LongMT proposal). Each simulation selects down the tree by UCB1 while a node's
/// children have all been tried, expands one untried child (chosen at random), completes the calls from there with a
/// uniformly random default policy, translates the page once with the resulting memory, and backs the normalised reward
/// up the selected path. The final path follows the most visited children.
/// </summary>
public sealed class MctsSearch(int simulations, double exploration, int minVisits = 2, ulong seed = 0x5EA5C4) : ISearchStrategy
{
    public string Identity => $"mcts:{simulations}:{exploration:R}";
    public int MinVisits => minVisits;

    public async Task<SearchNode> SearchAsync(IReadOnlyList<MemoryModule> offered, EvaluateModules evaluate, CancellationToken ct = default)
    {
        var root = SearchNode.Root();
        var drawn = new Dictionary<string, int>();
        ulong state = Seeds.Derive(seed, (ulong)offered.Count, offered.Aggregate(0UL, (a, m) => a * 4 + (ulong)m + 1));
        int Next(int n) => (int)((state = Seeds.Derive(state, 1)) % (ulong)n);
        for (int sim = 0; sim < simulations; sim++)
        {
            var n = root;
            while (!n.IsEnd && n.FullyExpanded) n = Select(n, exploration);
            if (!n.IsEnd)
            {
                n.Expand(offered);
                var untried = n.Children.Where(c => c.Visits == 0).ToList();
                n = untried[Next(untried.Count)];
            }
            // Default policy: random further calls until END.
            var modules = n.Modules.ToList();
            if (!n.IsEnd)
                while (true)
                {
                    var rest = offered.Where(m => modules.Count == 0 || m > modules[^1]).Order().ToList();
                    int pick = Next(rest.Count + 1);
                    if (pick == rest.Count) break;
                    modules.Add(rest[pick]);
                }
            var key = string.Join(",", modules);
            int k = drawn.GetValueOrDefault(key);
            drawn[key] = k + 1;
            double reward = await evaluate(modules, k, ct).ConfigureAwait(false);
            for (var m = n; m is not null; m = m.Parent) { m.Visits++; m.Total += reward; }
        }
        return root;
    }

    /// <summary>The child with the highest UCB1 (ties: the earlier child).</summary>
    public static SearchNode Select(SearchNode parent, double c)
    {
        SearchNode? best = null;
        double bestScore = double.NegativeInfinity;
        foreach (var child in parent.Children)
        {
            double s = LongMtScores.Ucb1(child.Q, child.Visits, parent.Visits, c);
            if (best is null || s > bestScore) { best = child; bestScore = s; }
        }
        return best ?? throw new InvalidOperationException("a node without children cannot select");
    }

    public List<SearchNode> ChosenPath(SearchNode root) => SearchTree.Path(root, SearchTree.MostVisited);
}

/// <summary>
/// The released Loong search: level by level, every child of the current node is scored by the mean normalised reward
/// of <paramref name="samplesPerChild"/> sampled translations with its memory (samples of a set are shared, so END
/// reuses its parent's), the best child (ties: more modules) is taken, until END.
/// </summary>
public sealed class GreedySearch(int samplesPerChild) : ISearchStrategy
{
    public string Identity => $"greedy:{samplesPerChild}";
    public int MinVisits => samplesPerChild;

    public async Task<SearchNode> SearchAsync(IReadOnlyList<MemoryModule> offered, EvaluateModules evaluate, CancellationToken ct = default)
    {
        var root = SearchNode.Root();
        for (var n = root; ;)
        {
            n.Expand(offered);
            foreach (var child in n.Children)
                for (int s = child.Visits; s < samplesPerChild; s++)
                {
                    child.Total += await evaluate(child.Modules, s, ct).ConfigureAwait(false);
                    child.Visits++;
                }
            var best = SearchTree.BestByQ(n.Children);
            if (best.IsEnd) return root;
            n = best;
        }
    }

    /// <summary>The best child by Q at every level: the one the search descended into.</summary>
    public List<SearchNode> ChosenPath(SearchNode root) => SearchTree.Path(root, SearchTree.BestByQ);
}
