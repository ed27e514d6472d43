namespace Engine.Methods.Curriculum.CommonIT;

/// <summary>One merge of an undersized group into its nearest neighbour.</summary>
public sealed record GroupMerge(int From, int FromSize, int Into, int IntoSizeAfter);

/// <summary>The groups left after merging: which surviving group each original group went to, and the merges in order.</summary>
public sealed record MergePlan(int[] Target, IReadOnlyList<GroupMerge> Merges)
{
    /// <summary>The surviving groups (original ids), ascending.</summary>
    public int[] Survivors => Target.Where(t => t >= 0).Distinct().Order().ToArray();
}

/// <summary>
/// CommonIT's grouping arithmetic, pure and checkable by hand: length bins (quantile or equal width), nearest reference
/// label by cosine (centroid or single item), and the merge of groups below a minimum size into their nearest neighbour.
/// </summary>
public static class CommonItGrouping
{
    /// <summary>
    /// Equal-frequency bins: bin(x) = ⌊G · (records shorter than x) / N⌋, then renumbered 0..k−1 over the non-empty bins.
    /// Records of equal length share a bin, so with many ties there are fewer than G bins.
    /// </summary>
    public static int[] QuantileBins(IReadOnlyList<int> lengths, int groups)
    {
        if (groups < 1) throw new ArgumentOutOfRangeException(nameof(groups), "groups must be ≥ 1.");
        int n = lengths.Count;
        var sorted = lengths.Order().ToArray();
        var raw = lengths.Select(x => (int)((long)groups * LowerBound(sorted, x) / Math.Max(1, n))).ToArray();
        return Renumber(raw);
    }

    /// <summary>Equal-width bins over [min, max]: bin(x) = min(G − 1, ⌊G · (x − min) / (max − min)⌋), renumbered over the non-empty bins.</summary>
    public static int[] EqualWidthBins(IReadOnlyList<int> lengths, int groups)
    {
        if (groups < 1) throw new ArgumentOutOfRangeException(nameof(groups), "groups must be ≥ 1.");
        if (lengths.Count == 0) return [];
        int min = lengths.Min(), max = lengths.Max();
        var raw = lengths.Select(x => max == min ? 0 : Math.Min(groups - 1, (int)((long)groups * (x - min) / (max - min)))).ToArray();
        return Renumber(raw);
    }

    /// <summary>Index of the most cosine-similar anchor (ties to the lowest index).</summary>
    public static int Nearest(ReadOnlySpan<float> v, IReadOnlyList<float[]> anchors)
    {
        if (anchors.Count == 0) throw new ArgumentException("No anchors to compare with.");
        int best = 0; double bestCos = double.NegativeInfinity;
        for (int j = 0; j < anchors.Count; j++)
        {
            double c = Cosine(v, anchors[j]);
            if (c > bestCos) { bestCos = c; best = j; }
        }
        return best;
    }

    /// <summary>Centroid of each label: the mean of its vectors after each is scaled to unit length.</summary>
    public static float[][] Centroids(IReadOnlyList<float[]> vectors, IReadOnlyList<int> labels, int labelCount)
    {
        if (vectors.Count != labels.Count) throw new ArgumentException($"{vectors.Count} vectors for {labels.Count} labels.");
        if (vectors.Count == 0) throw new ArgumentException("No vectors.");
        int h = vectors[0].Length;
        var sums = new double[labelCount][];
        var counts = new int[labelCount];
        for (int i = 0; i < vectors.Count; i++)
        {
            var v = vectors[i];
            double norm = Math.Sqrt(v.Sum(x => (double)x * x));
            var s = sums[labels[i]] ??= new double[h];
            for (int k = 0; k < h; k++) s[k] += norm > 0 ? v[k] / norm : 0;
            counts[labels[i]]++;
        }
        return Enumerable.Range(0, labelCount).Select(l =>
        {
            if (counts[l] == 0) throw new ArgumentException($"Label {l} has no vectors.");
            return sums[l].Select(x => (float)(x / counts[l])).ToArray();
        }).ToArray();
    }

    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Cosine of vectors of lengths {a.Length} and {b.Length}.");
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += (double)a[i] * b[i]; na += (double)a[i] * a[i]; nb += (double)b[i] * b[i]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    /// <summary>
    /// Merge every group smaller than <paramref name="minSize"/> into its nearest neighbour until none is left (or one
    /// group remains): repeatedly the smallest undersized group (ties: lowest id) goes into the other surviving group at
    /// the least distance, where the distance of two merged groups is the least distance of their original members
    /// (single linkage); ties go to the smaller group, then the lowest id. Empty groups (size 0) are dropped first.
    /// </summary>
    /// <param name="distance">Symmetric distance of original groups; all zeros merges into the smallest other group.</param>
    public static MergePlan MergeSmallGroups(IReadOnlyList<int> sizes, int minSize, double[,] distance)
    {
        int k = sizes.Count;
        if (distance.GetLength(0) != k || distance.GetLength(1) != k) throw new ArgumentException($"distance must be {k}×{k}.");
        var target = Enumerable.Range(0, k).ToArray();
        var size = sizes.ToArray();
        var alive = Enumerable.Range(0, k).Where(g => size[g] > 0).ToHashSet();
        var merges = new List<GroupMerge>();
        double Dist(int a, int b)
        {
            double d = double.PositiveInfinity;
            for (int i = 0; i < k; i++)
                if (target[i] == a && sizes[i] > 0)
                    for (int j = 0; j < k; j++)
                        if (target[j] == b && sizes[j] > 0) d = Math.Min(d, distance[i, j]);
            return d;
        }
        while (alive.Count > 1)
        {
            var small = alive.Where(g => size[g] < minSize).OrderBy(g => size[g]).ThenBy(g => g).ToList();
            if (small.Count == 0) break;
            int from = small[0];
            int into = alive.Where(g => g != from).OrderBy(g => Dist(from, g)).ThenBy(g => size[g]).ThenBy(g => g).First();
            size[into] += size[from];
            for (int i = 0; i < k; i++) if (target[i] == from) target[i] = into;
            alive.Remove(from);
            merges.Add(new GroupMerge(from, size[from], into, size[into]));
        }
        for (int i = 0; i < k; i++) if (sizes[i] == 0) target[i] = -1;
        return new MergePlan(target, merges);
    }

    private static int LowerBound(int[] sorted, int x)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi) { int mid = (lo + hi) / 2; if (sorted[mid] < x) lo = mid + 1; else hi = mid; }
        return lo;
    }

    private static int[] Renumber(int[] raw)
    {
        var map = raw.Distinct().Order().Select((b, i) => (b, i)).ToDictionary(x => x.b, x => x.i);
        return raw.Select(b => map[b]).ToArray();
    }
}
