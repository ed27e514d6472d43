using Engine.Methods.Synthesis.LongMT;

namespace Engine.Tests.LongMT;

/// <summary>UCB1 on hand-made trees, MCTS and greedy on a known reward landscape, and pair extraction.</summary>
public class SearchTests
{
    private static SearchNode Child(SearchNode parent, MemoryModule? m, int visits, double total)
    {
        var c = parent.AddChild(m);
        c.Visits = visits;
        c.Total = total;
        return c;
    }

    [Fact]
    public void Ucb1SelectsByHandComputedScores()
    {
        var root = SearchNode.Root();
        root.Visits = 8;
        var a = Child(root, MemoryModule.ViewSummaries, 2, 1.0);   // Q 0.5
        var b = Child(root, MemoryModule.ViewPages, 1, 0.3);       // Q 0.3
        var c = Child(root, MemoryModule.LookUpEntities, 5, 3.5);  // Q 0.7
        // ln 8 = 2.0794. c = √2: a 0.5 + 1.4142·√(2.0794/2) = 1.9420; b 0.3 + 1.4142·√2.0794 = 2.3393; c 0.7 + 1.4142·√(2.0794/5) = 1.6120.
        Assert.Equal(0.5 + Math.Sqrt(2) * Math.Sqrt(Math.Log(8) / 2), LongMtScores.Ucb1(0.5, 2, 8, Math.Sqrt(2)), 12);
        Assert.Equal(1.9420, LongMtScores.Ucb1(a.Q, a.Visits, 8, Math.Sqrt(2)), 4);
        Assert.Equal(2.3393, LongMtScores.Ucb1(b.Q, b.Visits, 8, Math.Sqrt(2)), 4);
        Assert.Equal(1.6120, LongMtScores.Ucb1(c.Q, c.Visits, 8, Math.Sqrt(2)), 4);
        Assert.Same(b, MctsSearch.Select(root, Math.Sqrt(2)));      // the least tried wins with strong exploration
        // c = 0.1: a 0.6020, b 0.4442, c 0.7645 → exploitation picks c.
        Assert.Same(c, MctsSearch.Select(root, 0.1));
        // An untried child comes first.
        var d = root.AddChild(null);
        Assert.Same(d, MctsSearch.Select(root, 0.1));
        Assert.Equal(double.PositiveInfinity, LongMtScores.Ucb1(0, 0, 8, 1));
    }

    [Fact]
    public void NormalisedRewardIsTheClippedRelativeGain()
    {
        Assert.Equal(0.4, LongMtScores.Normalise(51, 50, 0.05), 12);   // 2% better / 5%
        Assert.Equal(-1, LongMtScores.Normalise(40, 50, 0.05));         // clipped
        Assert.Equal(1, LongMtScores.Normalise(60, 50, 0.05));
        Assert.Equal(-1, LongMtScores.Normalise(double.NaN, 50, 0.05)); // a misaligned sample
        Assert.Equal(1, LongMtScores.Normalise(3, 0, 0.05));
    }

    private static readonly IReadOnlyList<MemoryModule> All = MemoryModules.All;

    /// <summary>A landscape where {view_pages, look_up_entities} is best (0.9), entities alone good (0.5), everything else poor.</summary>
    private static Task<double> Landscape(IReadOnlyList<MemoryModule> modules, int sample, CancellationToken ct)
    {
        var key = string.Join(",", modules.Select(m => m.Name()));
        double r = key switch { "view_pages,look_up_entities" => 0.9, "look_up_entities" => 0.5, "view_pages" => 0.1, "" => 0, _ => -0.5 };
        return Task.FromResult(r);
    }

    [Fact]
    public async Task MctsFindsTheBestSetAndSpendsItsBudget()
    {
        var mcts = new MctsSearch(60, 0.5);
        var root = await mcts.SearchAsync(All, Landscape);
        Assert.Equal(60, root.Visits);
        var path = mcts.ChosenPath(root);
        Assert.Equal([MemoryModule.ViewPages, MemoryModule.LookUpEntities], path[^1].Modules);
        Assert.True(path[^1].IsEnd);
    }

    [Fact]
    public async Task GreedyDescendsLevelByLevel()
    {
        int calls = 0;
        var greedy = new GreedySearch(2);
        var root = await greedy.SearchAsync(All, (m, s, ct) => { calls++; return Landscape(m, s, ct); });
        var path = greedy.ChosenPath(root);
        // Level 1: summaries −0.5, pages 0.1, entities 0.5, END 0 → entities; level 2: only END is left (0.5).
        Assert.Equal([MemoryModule.LookUpEntities], path[^1].Modules);
        Assert.Equal(4 * 2 + 1 * 2, calls);   // 4 children × 2 samples, then entities' END child × 2
        Assert.All(root.Children, c => Assert.Equal(2, c.Visits));
    }

    [Fact]
    public void PairsAreBestAgainstWorstSiblingsOnTheChosenPath()
    {
        var root = SearchNode.Root();
        var s = Child(root, MemoryModule.ViewSummaries, 3, 0.3);
        var p = Child(root, MemoryModule.ViewPages, 5, 2.5);
        var e = Child(root, MemoryModule.LookUpEntities, 2, -1.0);
        var end = Child(root, null, 1, 0.9);                     // one visit: below MinVisits
        var pe = Child(p, MemoryModule.LookUpEntities, 2, 1.6);
        var pEnd = Child(p, null, 3, 1.2);
        var path = SearchTree.Path(root, SearchTree.MostVisited);
        Assert.Equal([root, p, pEnd], path);
        var pairs = PairExtractor.Extract(path, minVisits: 2, minGap: 0.1);
        Assert.Equal(2, pairs.Count);
        Assert.Same(p, pairs[0].Chosen);            // Q 0.5 best among s 0.1, p 0.5, e −0.5 (end not eligible)
        Assert.Same(e, pairs[0].Rejected);
        Assert.Equal(0, pairs[0].Level);
        Assert.Same(pe, pairs[1].Chosen);           // Q 0.8 vs 0.4
        Assert.Same(pEnd, pairs[1].Rejected);
        Assert.Equal("[Selection]\nview_pages", pairs[0].Chosen.Answer);
        Assert.Equal("[Selection]\nEND", pairs[1].Rejected.Answer);
        var all = PairExtractor.Extract(path, 2, 0.1, allWorse: true);
        Assert.Equal(3, all.Count);                 // p vs s, p vs e, pe vs pEnd
    }

    [Fact]
    public void PairExtractionNeverPairsATrajectoryWithItself()
    {
        // One eligible child: nothing to pair it with.
        var root = SearchNode.Root();
        var only = Child(root, MemoryModule.ViewPages, 4, 2);
        Child(root, null, 1, 0);
        Assert.Empty(PairExtractor.Extract([root, only], 2, 0));
        // Equal Q everywhere, even with no minimum gap: no pair.
        var tie = SearchNode.Root();
        Child(tie, MemoryModule.ViewPages, 2, 1);
        Child(tie, null, 2, 1);
        Assert.Empty(PairExtractor.Extract([tie], 2, 0));
        // Random trees: every pair has two different siblings with different answers, the chosen strictly better.
        var rng = new Random(7);
        for (int t = 0; t < 200; t++)
        {
            var r = SearchNode.Root();
            var path = new List<SearchNode> { r };
            for (var n = r; n.Modules.Count < 3 && !n.IsEnd;)
            {
                var kids = n.Remaining(All).Select(m => Child(n, m, rng.Next(0, 4), rng.Next(-3, 4) * 0.5)).ToList();
                kids.Add(Child(n, null, rng.Next(0, 4), rng.Next(-3, 4) * 0.5));
                n = kids[rng.Next(kids.Count)];
                path.Add(n);
            }
            foreach (var pair in PairExtractor.Extract(path, rng.Next(1, 3), rng.Next(0, 2) * 0.1, rng.Next(2) == 0))
            {
                Assert.NotSame(pair.Chosen, pair.Rejected);
                Assert.NotEqual(pair.Chosen.Answer, pair.Rejected.Answer);
                Assert.Same(pair.Parent, pair.Chosen.Parent);
                Assert.Same(pair.Parent, pair.Rejected.Parent);
                Assert.True(pair.Chosen.Q > pair.Rejected.Q);
            }
        }
    }

    [Fact]
    public void ModulesAreCalledInCanonicalOrder()
    {
        var root = SearchNode.Root();
        var p = root.AddChild(MemoryModule.ViewPages);
        Assert.Throws<ArgumentException>(() => p.AddChild(MemoryModule.ViewSummaries));
        p.Expand(All);
        Assert.Equal([MemoryModule.LookUpEntities], p.Children.Where(c => !c.IsEnd).Select(c => c.Action!.Value));
        Assert.True(p.Children[^1].IsEnd);
    }
}
