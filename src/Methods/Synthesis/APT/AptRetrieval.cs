using Engine.Runtime;

namespace Engine.Methods.Synthesis.APT;

/// <summary>A bad case or pool item as retrieval sees it: its id (for excluding bad cases from the pool), tags and question embedding.</summary>
public sealed record RetrievalItem(string? Id, IReadOnlyList<string> Tags, float[] Embedding);

/// <summary>A pool item picked for the similar cases: its index in the pool, what picked it ("tag:…", "mean", "cluster:c") and its cosine there.</summary>
public sealed record RetrievedItem(int PoolIndex, string Via, double Cosine);

/// <summary>
/// APT's similar-case retrieval and its two baselines, as pure functions (checkable by hand).
/// <para>Tag retrieval: for every tag τ of the bad cases E, w_τ = |E_τ| / Σ_τ' |E_τ'| (the sum over all bad-case
/// tags, including tags no pool item has) and the quota n_τ = max(1, ⌈w_τ·|E|·σ⌉). If the pool has items tagged τ,
/// they are ranked by cosine to μ_τ, the mean embedding of the bad cases tagged τ, and the top n_τ are taken. The
/// similar cases are the union (each pool item once). The pool is not filtered against the bad cases' ids.</para>
/// <para>Mean baseline: the top ⌈|E|·σ⌉ pool items by cosine to the mean embedding of all bad cases, excluding
/// pool items with a bad case's id. K-means baseline: k-means (k = min(K, |E|), k-means++ seeding from the seed) on
/// the L2-normalised bad-case embeddings; for cluster c of n_c bad cases the top ⌈n_c·σ⌉ pool items by cosine to its
/// centroid, excluding bad-case ids; the union.</para>
/// Ties rank the lower pool index first; results are in pool order.
/// </summary>
public static class AptRetrieval
{
    /// <summary>n_τ = max(1, ⌈|E_τ|·|E|·σ / Σ|E_τ'|⌉), i.e. ⌈w_τ·|E|·σ⌉ with the product taken before the division, so exact multiples do not round up.</summary>
    public static int Quota(int tagCount, int tagTotal, int errors, double scale)
    {
        if (tagCount < 1 || tagTotal < tagCount || errors < 1) throw new ArgumentException($"quota of a tag on {tagCount} of {tagTotal} tag uses over {errors} bad cases.");
        return Math.Max(1, (int)Math.Ceiling((double)tagCount * errors * scale / tagTotal));
    }

    /// <summary>|E_τ| for every tag of the bad cases (a tag counts once per bad case), in first-seen order.</summary>
    public static IReadOnlyList<KeyValuePair<string, int>> TagCounts(IReadOnlyList<RetrievalItem> errors)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var e in errors)
            foreach (var t in e.Tags.Distinct(StringComparer.Ordinal))
            {
                if (!counts.TryGetValue(t, out var c)) order.Add(t);
                counts[t] = c + 1;
            }
        return order.Select(t => new KeyValuePair<string, int>(t, counts[t])).ToList();
    }

    /// <summary>The quota of every bad-case tag (tags absent from the pool included: they take weight but pick nothing).</summary>
    public static IReadOnlyDictionary<string, int> TagQuotas(IReadOnlyList<RetrievalItem> errors, double scale)
    {
        var counts = TagCounts(errors);
        int total = counts.Sum(kv => kv.Value);
        return counts.ToDictionary(kv => kv.Key, kv => Quota(kv.Value, total, errors.Count, scale), StringComparer.Ordinal);
    }

    public static IReadOnlyList<RetrievedItem> ByTags(IReadOnlyList<RetrievalItem> errors, IReadOnlyList<RetrievalItem> pool, double scale)
    {
        if (errors.Count == 0) return [];
        var quotas = TagQuotas(errors, scale);
        var poolByTag = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int j = 0; j < pool.Count; j++)
            foreach (var t in pool[j].Tags.Distinct(StringComparer.Ordinal))
                if (quotas.ContainsKey(t)) (poolByTag.TryGetValue(t, out var l) ? l : poolByTag[t] = []).Add(j);
        var picked = new Dictionary<int, RetrievedItem>();
        foreach (var tag in quotas.Keys.Order(StringComparer.Ordinal))
        {
            if (!poolByTag.TryGetValue(tag, out var candidates)) continue;
            var mu = Mean(errors.Where(e => e.Tags.Contains(tag, StringComparer.Ordinal)).Select(e => e.Embedding));
            foreach (var (j, cos) in Top(mu, pool, candidates, quotas[tag]))
                picked.TryAdd(j, new RetrievedItem(j, "tag:" + tag, cos));
        }
        return picked.Values.OrderBy(r => r.PoolIndex).ToList();
    }

    public static IReadOnlyList<RetrievedItem> ByMean(IReadOnlyList<RetrievalItem> errors, IReadOnlyList<RetrievalItem> pool, double scale)
    {
        if (errors.Count == 0) return [];
        var mu = Mean(errors.Select(e => e.Embedding));
        return Top(mu, pool, NotErrors(errors, pool), Count(errors.Count, scale))
            .Select(x => new RetrievedItem(x.Index, "mean", x.Cosine)).OrderBy(r => r.PoolIndex).ToList();
    }

    public static IReadOnlyList<RetrievedItem> ByClusters(IReadOnlyList<RetrievalItem> errors, IReadOnlyList<RetrievalItem> pool, double scale, int clusters, ulong seed)
    {
        if (errors.Count == 0) return [];
        var x = errors.Select(e => Normalized(e.Embedding)).ToArray();
        var (assign, centroids) = KMeans(x, Math.Min(clusters, errors.Count), seed);
        var candidates = NotErrors(errors, pool);
        var picked = new Dictionary<int, RetrievedItem>();
        for (int c = 0; c < centroids.Length; c++)
        {
            int members = assign.Count(a => a == c);
            if (members == 0) continue;
            foreach (var (j, cos) in Top(centroids[c], pool, candidates, Count(members, scale)))
                picked.TryAdd(j, new RetrievedItem(j, "cluster:" + c, cos));
        }
        return picked.Values.OrderBy(r => r.PoolIndex).ToList();
    }

    /// <summary>
    /// Lloyd's k-means on rows of <paramref name="x"/>: k-means++ seeding (first centre and each D²-weighted draw from
    /// Philox words of <paramref name="seed"/>), then assignment to the nearest centre (lowest index on ties) and
    /// centre = mean of its members (an emptied cluster keeps its centre) until nothing moves or 300 rounds.
    /// </summary>
    public static (int[] Assignment, double[][] Centroids) KMeans(IReadOnlyList<double[]> x, int k, ulong seed, int maxRounds = 300)
    {
        int n = x.Count;
        if (k < 1 || k > n) throw new ArgumentException($"k-means with k = {k} on {n} points.");
        int dim = x[0].Length;
        var centres = new List<double[]> { (double[])x[(int)(Philox.Word(seed, 0, 0) % (uint)n)].Clone() };
        var d2 = new double[n];
        for (int c = 1; c < k; c++)
        {
            for (int i = 0; i < n; i++) d2[i] = centres.Min(m => Distance2(x[i], m));
            double total = d2.Sum();
            int pick;
            // Every point sits on a centre (duplicates): the next centre repeats one, and its cluster stays empty.
            if (total <= 0) pick = 0;
            else
            {
                double u = Uniform(seed, (ulong)c) * total, acc = 0;
                pick = n - 1;
                for (int i = 0; i < n; i++) { acc += d2[i]; if (u < acc) { pick = i; break; } }
            }
            centres.Add((double[])x[pick].Clone());
        }
        var assign = Enumerable.Repeat(-1, n).ToArray();
        for (int round = 0; round < maxRounds; round++)
        {
            bool moved = false;
            for (int i = 0; i < n; i++)
            {
                int best = 0; double bestD = double.PositiveInfinity;
                for (int c = 0; c < k; c++) { var d = Distance2(x[i], centres[c]); if (d < bestD) { bestD = d; best = c; } }
                if (assign[i] != best) { assign[i] = best; moved = true; }
            }
            if (!moved) break;
            for (int c = 0; c < k; c++)
            {
                var members = Enumerable.Range(0, n).Where(i => assign[i] == c).ToList();
                if (members.Count == 0) continue;
                var m = new double[dim];
                foreach (var i in members) for (int d = 0; d < dim; d++) m[d] += x[i][d];
                for (int d = 0; d < dim; d++) m[d] /= members.Count;
                centres[c] = m;
            }
        }
        return (assign, centres.ToArray());
    }

    /// <summary>cos(a, b) in f64; 0 when either is zero.</summary>
    public static double Cosine(double[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += (double)b[i] * b[i]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    private static int Count(int n, double scale) => Math.Max(1, (int)Math.Ceiling(n * scale));

    private static IEnumerable<(int Index, double Cosine)> Top(double[] mu, IReadOnlyList<RetrievalItem> pool, IEnumerable<int> candidates, int take) =>
        candidates.Select(j => (Index: j, Cosine: Cosine(mu, pool[j].Embedding)))
            .OrderByDescending(p => p.Cosine).ThenBy(p => p.Index).Take(take);

    private static IEnumerable<int> NotErrors(IReadOnlyList<RetrievalItem> errors, IReadOnlyList<RetrievalItem> pool)
    {
        var ids = errors.Where(e => e.Id is not null).Select(e => e.Id!).ToHashSet(StringComparer.Ordinal);
        return Enumerable.Range(0, pool.Count).Where(j => pool[j].Id is null || !ids.Contains(pool[j].Id!));
    }

    private static double[] Mean(IEnumerable<float[]> vectors)
    {
        double[]? sum = null; int n = 0;
        foreach (var v in vectors)
        {
            sum ??= new double[v.Length];
            if (v.Length != sum.Length) throw new ArgumentException($"embeddings of lengths {sum.Length} and {v.Length}.");
            for (int i = 0; i < v.Length; i++) sum[i] += v[i];
            n++;
        }
        if (sum is null) throw new ArgumentException("mean of no embeddings.");
        for (int i = 0; i < sum.Length; i++) sum[i] /= n;
        return sum;
    }

    private static double[] Normalized(float[] v)
    {
        double norm = Math.Sqrt(v.Sum(x => (double)x * x));
        return v.Select(x => norm == 0 ? 0 : x / norm).ToArray();
    }

    private static double Distance2(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) { var d = a[i] - b[i]; s += d * d; }
        return s;
    }

    /// <summary>A uniform double in [0, 1) from two Philox words of (seed, counter).</summary>
    private static double Uniform(ulong seed, ulong counter) =>
        ((ulong)Philox.Word(seed, counter, 0) << 21 ^ Philox.Word(seed, counter, 1)) % (1UL << 53) / (double)(1UL << 53);
}
