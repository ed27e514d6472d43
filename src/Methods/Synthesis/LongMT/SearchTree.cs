namespace Engine.Methods.Synthesis.LongMT;

/// <summary>
/// A node of the search over a page's module calls: the modules called on the way here (canonical order), the action
/// that led here (a module, or END, which ends the calls: a terminal node), and its statistics — visits N, total
/// normalised reward W and mean Q = W/N.
/// </summary>
public sealed class SearchNode
{
    private readonly List<SearchNode> _children = [];

    public SearchNode? Parent { get; }
    /// <summary>The module called to get here; null for the root and for END nodes.</summary>
    public MemoryModule? Action { get; }
    public bool IsEnd { get; }
    public IReadOnlyList<MemoryModule> Modules { get; }
    public IReadOnlyList<SearchNode> Children => _children;
    public int Depth { get; }
    public int Visits { get; set; }
    public double Total { get; set; }
    public double Q => Visits == 0 ? 0 : Total / Visits;

    private SearchNode(SearchNode? parent, MemoryModule? action, bool isEnd)
    {
        Parent = parent; Action = action; IsEnd = isEnd;
        Depth = parent is null ? 0 : parent.Depth + 1;
        Modules = parent is null ? [] : action is { } a ? [.. parent.Modules, a] : parent.Modules;
    }

    public static SearchNode Root() => new(null, null, false);

    public bool IsRoot => Parent is null;
    public bool IsExpanded => _children.Count > 0;
    public bool FullyExpanded => IsExpanded && _children.All(c => c.Visits > 0);

    /// <summary>Add one child (a module call, or END when <paramref name="module"/> is null); for hand-built trees and <see cref="Expand"/>.</summary>
    public SearchNode AddChild(MemoryModule? module)
    {
        if (IsEnd) throw new InvalidOperationException("an END node has no children");
        if (module is { } m && Modules.Count > 0 && m <= Modules[^1]) throw new ArgumentException($"{m.Name()} cannot follow {Modules[^1].Name()}: modules are called in canonical order");
        var child = new SearchNode(this, module, module is null);
        _children.Add(child);
        return child;
    }

    /// <summary>Children for every offered module after the last one called, then END.</summary>
    public void Expand(IReadOnlyList<MemoryModule> offered)
    {
        if (IsExpanded || IsEnd) return;
        foreach (var m in Remaining(offered)) AddChild(m);
        AddChild(null);
    }

    /// <summary>Offered modules that may still be called from here.</summary>
    public IEnumerable<MemoryModule> Remaining(IReadOnlyList<MemoryModule> offered) =>
        offered.Where(m => Modules.Count == 0 || m > Modules[^1]).Order();

    /// <summary>The answer text that takes the parent here.</summary>
    public string Answer => SelectionAnswer.Render(Action);

    public override string ToString() =>
        (Modules.Count == 0 ? "[]" : "[" + string.Join(",", Modules.Select(m => m.Name())) + "]") + (IsEnd ? "/END" : "") + $" N={Visits} Q={Q:F3}";
}

/// <summary>Choosing among children, and the final path through a tree.</summary>
public static class SearchTree
{
    /// <summary>Highest Q; ties go to the child with more modules (Loong prefers the longer history), then to the earlier child.</summary>
    public static SearchNode BestByQ(IEnumerable<SearchNode> children) =>
        children.Select((c, i) => (c, i)).OrderByDescending(t => t.c.Q).ThenByDescending(t => t.c.Modules.Count).ThenBy(t => t.i).First().c;

    /// <summary>Lowest Q; ties go to the child with fewer modules, then to the later child.</summary>
    public static SearchNode WorstByQ(IEnumerable<SearchNode> children) =>
        children.Select((c, i) => (c, i)).OrderBy(t => t.c.Q).ThenBy(t => t.c.Modules.Count).ThenByDescending(t => t.i).First().c;

    /// <summary>Most visits; ties by Q, then the earlier child.</summary>
    public static SearchNode MostVisited(IEnumerable<SearchNode> children) =>
        children.Select((c, i) => (c, i)).OrderByDescending(t => t.c.Visits).ThenByDescending(t => t.c.Q).ThenBy(t => t.i).First().c;

    /// <summary>From the root, follow <paramref name="pick"/> among visited children until a node without them (normally an END node).</summary>
    public static List<SearchNode> Path(SearchNode root, Func<IEnumerable<SearchNode>, SearchNode> pick)
    {
        var path = new List<SearchNode> { root };
        for (var n = root; n.Children.Any(c => c.Visits > 0);)
        {
            n = pick(n.Children.Where(c => c.Visits > 0));
            path.Add(n);
        }
        return path;
    }
}

/// <summary>A (chosen, rejected) pair of siblings at one level of the chosen path: same prompt prefix, different next call.</summary>
public sealed record SiblingPair(int Level, SearchNode Parent, SearchNode Chosen, SearchNode Rejected);

/// <summary>
/// Per-level best/worst extraction: at each node of the chosen path, among its children with at least
/// <c>minVisits</c> visits, the best by Q is chosen and the worst rejected, when they are different nodes and their Q
/// differ by at least <c>minGap</c> (with <c>allWorse</c>, the best is paired with every sibling that far below it).
/// Siblings share the conversation up to this decision, which DPO needs; a node is never paired with itself.
/// </summary>
public static class PairExtractor
{
    public static List<SiblingPair> Extract(IReadOnlyList<SearchNode> path, int minVisits, double minGap, bool allWorse = false)
    {
        var pairs = new List<SiblingPair>();
        foreach (var parent in path)
        {
            var eligible = parent.Children.Where(c => c.Visits >= minVisits).ToList();
            if (eligible.Count < 2) continue;
            var best = SearchTree.BestByQ(eligible);
            var worse = allWorse
                ? eligible.Where(c => !ReferenceEquals(c, best)).OrderBy(c => c.Q).ToList()
                : [SearchTree.WorstByQ(eligible)];
            foreach (var w in worse)
                if (!ReferenceEquals(w, best) && w.Answer != best.Answer && best.Q - w.Q >= minGap && best.Q > w.Q)
                    pairs.Add(new SiblingPair(parent.Depth, parent, best, w));
        }
        return pairs;
    }
}
