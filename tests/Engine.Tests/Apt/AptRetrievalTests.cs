using Engine.Methods.Synthesis.APT;

namespace Engine.Tests.Apt;

/// <summary>
/// APT's retrieval on small examples worked out by hand from the rules: quotas n_τ = max(1, ⌈w_τ·|E|·σ⌉) with the
/// denominator over every bad-case tag (pool or not), ranking by cosine to the tag's mean bad-case embedding, the union
/// of picks; and the mean and k-means baselines.
/// </summary>
public class AptRetrievalTests
{
    private static RetrievalItem I(string id, float x, float y, params string[] tags) => new(id, tags, [x, y]);

    // Bad cases: tag uses math 3, arithmetic 1, logic 1, poetry 1 (Σ = 6, |E| = 4).
    private static readonly RetrievalItem[] Errors =
    [
        I("e0", 1, 0, "math", "arithmetic"),
        I("e1", 0.8f, 0.6f, "math"),
        I("e2", 0, 1, "math", "logic"),
        I("e3", -1, 0, "poetry"),
    ];

    // Pool: no item is tagged poetry; p5 is tagged only history (not a bad-case tag) and carries bad case e0's id.
    private static readonly RetrievalItem[] Pool =
    [
        I("p0", 1, 0.1f, "math"),
        I("p1", 0.9f, 0.5f, "math", "arithmetic"),
        I("p2", -1, 0, "math"),
        I("p3", 0, 1, "logic"),
        I("p4", 0.5f, -1, "logic"),
        I("e0", 1, 0, "history"),
    ];

    [Fact]
    public void QuotasOnTheWorkedExample()
    {
        // σ = 1: math ⌈3·4/6⌉ = 2, arithmetic ⌈4/6⌉ = 1, logic 1, poetry 1 (it takes weight though no pool item has it).
        Assert.Equal(new Dictionary<string, int> { ["math"] = 2, ["arithmetic"] = 1, ["logic"] = 1, ["poetry"] = 1 }, AptRetrieval.TagQuotas(Errors, 1.0));
        // σ = 2: math 4, arithmetic ⌈8/6⌉ = 2, logic 2, poetry 2.
        Assert.Equal(new Dictionary<string, int> { ["math"] = 4, ["arithmetic"] = 2, ["logic"] = 2, ["poetry"] = 2 }, AptRetrieval.TagQuotas(Errors, 2.0));
        // σ = 0.5: math ⌈1⌉ = 1; the rest max(1, ⌈1/3⌉) = 1.
        Assert.All(AptRetrieval.TagQuotas(Errors, 0.5).Values, q => Assert.Equal(1, q));
    }

    [Fact]
    public void AnExactMultipleIsNotRoundedUp()
    {
        // 7 of 25 tag uses over 25 bad cases: w·|E| = 7 exactly, but 0.28 · 25 in floating point is 7.000000000000001.
        Assert.Equal(7, AptRetrieval.Quota(7, 25, 25, 1.0));
        Assert.Equal(8, AptRetrieval.Quota(7, 25, 26, 1.0));   // 7.28 → 8
        Assert.Equal(1, AptRetrieval.Quota(1, 100, 3, 1.0));   // 0.03 → the floor of one per tag
    }

    [Fact]
    public void TagRetrievalTakesEachTagsQuotaByCosineAndUnitesThem()
    {
        var got = AptRetrieval.ByTags(Errors, Pool, 1.0);
        // Tags in name order. arithmetic (μ = e0 = (1, 0)): p1 (cos 0.9/√1.06 = 0.874);
        // logic (μ = e2): p3 (1.0) before p4 (−0.894); math (μ = mean of e0, e1, e2 = (0.6, 0.533)): p1 (0.976, already
        // taken) and p0 (0.810), not p2 (−0.747); poetry: nothing in the pool.
        // p5 is closest to e0 but carries no bad-case tag. Three items for |E|·σ = 4: overlaps and the absent tag.
        Assert.Equal([0, 1, 3], got.Select(r => r.PoolIndex));
        Assert.Equal(["tag:math", "tag:arithmetic", "tag:logic"], got.Select(r => r.Via));   // the first tag, in name order, that picked it
        Assert.Equal(0.8742, got[1].Cosine, 4);   // p1's cosine where it was picked: to arithmetic's μ
        Assert.Equal(0.8098, got[0].Cosine, 4);
        // σ = 2: math takes all three math items (quota 4), logic both logic items.
        Assert.Equal([0, 1, 2, 3, 4], AptRetrieval.ByTags(Errors, Pool, 2.0).Select(r => r.PoolIndex));
    }

    [Fact]
    public void MeanBaselineRanksByTheMeanBadCaseAndExcludesBadCaseIds()
    {
        // μ = (0.2, 0.4); cosines: p3 0.894, p1 0.826, p0 0.534, p2 −0.447, p4 −0.6; p5 (0.447) has bad case e0's id.
        var got = AptRetrieval.ByMean(Errors, Pool, 1.0);
        Assert.Equal([0, 1, 2, 3], got.Select(r => r.PoolIndex));
        Assert.DoesNotContain(got, r => r.PoolIndex == 5);
        Assert.Equal(0.8944, got.Single(r => r.PoolIndex == 3).Cosine, 4);
    }

    [Fact]
    public void KMeansBaselineTakesEachClustersShareNearItsCentroid()
    {
        RetrievalItem[] errors =
        [
            I("a", 1, 0), I("b", 0.9f, 0.1f), I("c", 0.95f, -0.05f),   // cluster along x (3 cases)
            I("d", 0, 1), I("e", 0.1f, 0.9f),                          // cluster along y (2 cases)
        ];
        RetrievalItem[] pool = [I("x1", 1, 0.02f), I("x2", 0.9f, 0.2f), I("x3", 0.7f, 0.6f), I("y1", 0, 1), I("y2", 0.2f, 1), I("far", -1, -1), I("x4", 0.6f, 0.7f)];
        var (assign, _) = AptRetrieval.KMeans(errors.Select(e => e.Embedding.Select(v => (double)v).ToArray()).ToArray(), 2, 42);
        Assert.Equal(assign[0], assign[1]);
        Assert.Equal(assign[0], assign[2]);
        Assert.Equal(assign[3], assign[4]);
        Assert.NotEqual(assign[0], assign[3]);
        // k = 2: the x cluster takes its top 3 (x1, x2, x3 — x3 is nearer x than x4 is), the y cluster its top 2 (y1, y2).
        var got = AptRetrieval.ByClusters(errors, pool, 1.0, clusters: 2, seed: 42);
        Assert.Equal([0, 1, 2, 3, 4], got.Select(r => r.PoolIndex));
        // Deterministic for a seed, and k is capped at the number of bad cases (5 clusters of one: one pick each).
        Assert.Equal(got, AptRetrieval.ByClusters(errors, pool, 1.0, clusters: 2, seed: 42));
        // With k = 10 > |E| = 5 every bad case is its own cluster and takes its single nearest item: a, b, c → x1; d → y1; e → y2 (0.996 vs y1's 0.994).
        var single = AptRetrieval.ByClusters(errors, pool, 1.0, clusters: 10, seed: 7);
        Assert.Equal([0, 3, 4], single.Select(r => r.PoolIndex));
    }

    [Fact]
    public void NoBadCasesRetrieveNothing()
    {
        Assert.Empty(AptRetrieval.ByTags([], Pool, 1.0));
        Assert.Empty(AptRetrieval.ByMean([], Pool, 1.0));
        Assert.Empty(AptRetrieval.ByClusters([], Pool, 1.0, 10, 1));
    }
}
