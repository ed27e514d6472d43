namespace Engine.Methods.Selection.CDT;

/// <summary>
/// CDT's dataset metrics, as pure functions of the records' composite capabilities κ (<see cref="CdtKey"/>; untagged
/// records are left out, as the paper does):
/// <list type="bullet">
/// <item>Balance = −Σ_κ (n_κ/N) log₂(n_κ/N), the entropy in bits of the κ histogram (at most log₂ of the denominator).</item>
/// <item>Coverage = |{κ}| / ((C(n_c, 2) + n_c) · n_d · n_t): distinct capabilities over all possible ones (a skill
/// pair or a single skill, times subdomains, times task types).</item>
/// </list>
/// </summary>
public static class CdtMetrics
{
    /// <summary>(C(c, 2) + c) · d · t.</summary>
    public static long CoverageDenominator(int cognition, int domains, int tasks)
    {
        if (cognition < 1 || domains < 1 || tasks < 1) throw new ArgumentException("Every dimension needs at least one label.");
        return ((long)cognition * (cognition - 1) / 2 + cognition) * domains * tasks;
    }

    public static Dictionary<CdtKey, int> Histogram(IEnumerable<CdtKey> keys)
    {
        var h = new Dictionary<CdtKey, int>();
        foreach (var k in keys) h[k] = h.GetValueOrDefault(k) + 1;
        return h;
    }

    /// <summary>Shannon entropy in bits of the counts (0 for no records or a single capability).</summary>
    public static double Balance(IEnumerable<int> counts)
    {
        var c = counts.Where(x => x > 0).ToArray();
        double n = c.Sum(x => (double)x);
        double h = 0;
        foreach (var x in c) { double p = x / n; h -= p * Math.Log2(p); }
        return h;
    }

    public static double Balance(IEnumerable<CdtKey> keys) => Balance(Histogram(keys).Values);

    /// <summary>Distinct capabilities over the denominator, as a fraction (the paper prints it in percent).</summary>
    public static double Coverage(int distinct, long denominator) =>
        denominator > 0 ? distinct / (double)denominator : throw new ArgumentException("The coverage denominator must be positive.");

    public static double Coverage(IEnumerable<CdtKey> keys, long denominator) => Coverage(keys.Distinct().Count(), denominator);

    /// <summary>The largest possible balance for a denominator: every capability equally often.</summary>
    public static double MaxBalance(long denominator) => Math.Log2(denominator);

    /// <summary>Label counts of one dimension over records (a record with two cognition codes counts for both).</summary>
    public static Dictionary<string, int> AxisHistogram(IEnumerable<CapabilityTags> tags, CdtDimension d)
    {
        var h = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in tags)
            foreach (var v in t[d]) h[v] = h.GetValueOrDefault(v) + 1;
        return h;
    }
}

/// <summary>A data set measured: records, how many are fully tagged, distinct capabilities, coverage, balance, per-axis histograms.</summary>
public sealed record CdtDatasetMetrics(int Records, int Tagged, int Distinct, long Denominator, double Coverage, double Balance,
    IReadOnlyDictionary<CdtKey, int> Combinations, IReadOnlyDictionary<CdtDimension, IReadOnlyDictionary<string, int>> Axes)
{
    public static CdtDatasetMetrics Of(IReadOnlyList<CapabilityTags> tags, long denominator)
    {
        var keys = tags.Select(t => t.Key).Where(k => k is not null).Select(k => k!.Value).ToList();
        var hist = CdtMetrics.Histogram(keys);
        var axes = CdtDimensions.All.ToDictionary(d => d, d => (IReadOnlyDictionary<string, int>)CdtMetrics.AxisHistogram(tags.Where(t => t.IsComplete), d));
        return new CdtDatasetMetrics(tags.Count, keys.Count, hist.Count, denominator, CdtMetrics.Coverage(hist.Count, denominator),
            CdtMetrics.Balance(hist.Values), hist, axes);
    }

    public System.Text.Json.Nodes.JsonObject ToJson()
    {
        var o = new System.Text.Json.Nodes.JsonObject
        {
            ["records"] = Records, ["tagged"] = Tagged, ["distinct_capabilities"] = Distinct, ["coverage_denominator"] = Denominator,
            ["coverage_percent"] = Coverage * 100, ["balance_bits"] = Balance, ["max_balance_bits"] = CdtMetrics.MaxBalance(Denominator),
        };
        var axes = new System.Text.Json.Nodes.JsonObject();
        foreach (var (d, h) in Axes)
        {
            var a = new System.Text.Json.Nodes.JsonObject();
            foreach (var (k, v) in h.OrderByDescending(x => x.Value).ThenBy(x => x.Key, StringComparer.Ordinal)) a[k] = v;
            axes[d.FieldName()] = a;
        }
        o["axes"] = axes;
        o["combinations"] = new System.Text.Json.Nodes.JsonArray(Combinations.OrderByDescending(x => x.Value).ThenBy(x => x.Key.ToString(), StringComparer.Ordinal)
            .Select(x => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject { ["capability"] = x.Key.ToString(), ["count"] = x.Value }).ToArray());
        return o;
    }
}
