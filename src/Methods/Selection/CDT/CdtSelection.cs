namespace Engine.Methods.Selection.CDT;

/// <summary>How the specific selector uses the target's tags.</summary>
public enum CdtSpecificMode
{
    /// <summary>The paper's code: which capabilities the target has (its support), coverage first, frequencies unused.</summary>
    Support,
    /// <summary>Allocate the budget to the target's capabilities in proportion to their frequency first, then as Support.</summary>
    Proportional,
}

/// <summary>
/// CDT's two selectors as pure functions of the pool's tags, a budget and a seed. Both return exactly
/// min(count, pool size) distinct indices, in the order they were picked, and the same ones for the same seed.
/// <list type="bullet">
/// <item><see cref="Diversity"/>: group the pool by composite capability κ, order the groups (two-skill κ first, then
/// one-skill κ, each by size, largest first), and take one random item per group per pass until the budget is spent:
/// every capability is represented before any is repeated.</item>
/// <item><see cref="Specific"/>: keep the pool groups whose capability occurs in the target set, at three levels
/// (full κ, then pairs of dimensions, then single dimensions), coverage first at each level as above.</item>
/// </list>
/// Where the tagged pool cannot fill the budget, both back-fill uniformly at random from the items not yet taken
/// (untagged ones included) — the paper's specific selector meant to and crashed, its diversity selector returns
/// fewer items; here every method compared gets the same budget.
/// </summary>
public static class CdtSelection
{
    /// <summary>⌈n · ratio⌉, the paper's budget.</summary>
    public static int CountForRatio(int n, double ratio) =>
        ratio is < 0 or > 1 || double.IsNaN(ratio) ? throw new ArgumentOutOfRangeException(nameof(ratio), "ratio must be in [0, 1]") : (int)Math.Ceiling(n * ratio - 1e-9);

    public static int[] Diversity(IReadOnlyList<CapabilityTags> pool, int count, ulong seed)
    {
        count = Math.Clamp(count, 0, pool.Count);
        var rng = new CdtRandom(seed);
        var order = Enumerable.Range(0, pool.Count).ToList();
        rng.Shuffle(order);   // ties between equal-size groups fall to the first seen in this order, as the paper's shuffle does
        var groups = GroupsInOrder<CdtKey>(order, i => pool[i].Key is { } k ? [k] : []);
        var ordered = groups.Where(g => g.Key.HasTwoSkills).OrderByDescending(g => g.Members.Count)
            .Concat(groups.Where(g => !g.Key.HasTwoSkills).OrderByDescending(g => g.Members.Count))
            .Select(g => g.Members).ToList();
        var picked = new List<int>(count);
        var taken = new HashSet<int>();
        RoundRobin(ordered, count, rng, picked, taken);
        BackFill(order, count, picked, taken);
        return picked.ToArray();
    }

    public static int[] Specific(IReadOnlyList<CapabilityTags> pool, IReadOnlyList<CapabilityTags> target, int count, ulong seed,
        CdtSpecificMode mode = CdtSpecificMode.Support)
    {
        count = Math.Clamp(count, 0, pool.Count);
        var rng = new CdtRandom(seed);
        var picked = new List<int>(count);
        var taken = new HashSet<int>();
        var inputOrder = Enumerable.Range(0, pool.Count).ToList();
        if (mode == CdtSpecificMode.Proportional) TakeProportionally(pool, target, count, rng, picked, taken);
        foreach (var level in new Func<CdtKey, IEnumerable<string>>[] { Level3, Level2, Level1 })
        {
            if (picked.Count >= count) break;
            var wanted = target.Select(t => t.Key).Where(k => k is not null).SelectMany(k => level(k!.Value)).ToHashSet(StringComparer.Ordinal);
            var matched = GroupsInOrder<string>(inputOrder, i => pool[i].Key is { } k ? level(k) : [])
                .Where(g => wanted.Contains(g.Key)).OrderByDescending(g => g.Members.Count).Select(g => g.Members).ToList();
            RoundRobin(matched, count, rng, picked, taken);
        }
        var rest = Enumerable.Range(0, pool.Count).ToList();
        rng.Shuffle(rest);
        BackFill(rest, count, picked, taken);
        return picked.ToArray();
    }

    // The three levels of capability keys; the prefix keeps keys of different shapes apart.
    internal static IEnumerable<string> Level3(CdtKey k) => [k.HasTwoSkills ? $"cc-d-t|{k.C1}|{k.C2}|{k.Domain}|{k.Task}" : $"c-d-t|{k.C1}|{k.Domain}|{k.Task}"];

    internal static IEnumerable<string> Level2(CdtKey k) => k.HasTwoSkills
        ? [$"cc-d|{k.C1}|{k.C2}|{k.Domain}", $"cc-t|{k.C1}|{k.C2}|{k.Task}", $"d-t|{k.Domain}|{k.Task}"]
        : [$"c-d|{k.C1}|{k.Domain}", $"c-t|{k.C1}|{k.Task}", $"d-t|{k.Domain}|{k.Task}"];

    internal static IEnumerable<string> Level1(CdtKey k) => k.HasTwoSkills
        ? [$"cc|{k.C1}|{k.C2}", $"d|{k.Domain}", $"t|{k.Task}"]
        : [$"c|{k.C1}", $"d|{k.Domain}", $"t|{k.Task}"];

    /// <summary>Proportional mode's first pass: each target capability's share of the budget (largest remainder), taken at random from the pool's group.</summary>
    private static void TakeProportionally(IReadOnlyList<CapabilityTags> pool, IReadOnlyList<CapabilityTags> target, int count, CdtRandom rng, List<int> picked, HashSet<int> taken)
    {
        var targetKeys = target.Select(t => t.Key).Where(k => k is not null).Select(k => k!.Value).ToList();
        if (targetKeys.Count == 0) return;
        var freq = GroupsInOrder<CdtKey>(Enumerable.Range(0, targetKeys.Count).ToList(), i => [targetKeys[i]])
            .OrderByDescending(g => g.Members.Count).Select(g => (g.Key, N: g.Members.Count)).ToList();
        var quota = LargestRemainder(freq.Select(f => (double)f.N).ToArray(), count);
        var poolGroups = GroupsInOrder<CdtKey>(Enumerable.Range(0, pool.Count).ToList(), i => pool[i].Key is { } k ? [k] : []).ToDictionary(g => g.Key, g => g.Members);
        for (int j = 0; j < freq.Count; j++)
        {
            if (!poolGroups.TryGetValue(freq[j].Key, out var members)) continue;
            var free = members.Where(i => !taken.Contains(i)).ToList();
            for (int q = 0; q < quota[j] && free.Count > 0 && picked.Count < count; q++) Take(free, rng.Next(free.Count), picked, taken);
        }
    }

    /// <summary>Integer shares of <paramref name="total"/> proportional to the weights, summing to it exactly (ties to the earlier entry).</summary>
    public static int[] LargestRemainder(IReadOnlyList<double> weights, int total)
    {
        double sum = weights.Sum();
        var share = new int[weights.Count];
        if (sum <= 0 || total <= 0) return share;
        var exact = weights.Select(w => w / sum * total).ToArray();
        for (int i = 0; i < share.Length; i++) share[i] = (int)Math.Floor(exact[i]);
        int left = total - share.Sum();
        foreach (var i in Enumerable.Range(0, share.Length).OrderByDescending(i => exact[i] - share[i]).ThenBy(i => i).Take(left)) share[i]++;
        return share;
    }

    /// <summary>Groups by key in order of first appearance along <paramref name="order"/>; an item may belong to several groups.</summary>
    private static List<(T Key, List<int> Members)> GroupsInOrder<T>(IReadOnlyList<int> order, Func<int, IEnumerable<T>> keys) where T : notnull
    {
        var index = new Dictionary<T, int>();
        var groups = new List<(T Key, List<int> Members)>();
        foreach (var i in order)
            foreach (var k in keys(i))
            {
                if (!index.TryGetValue(k, out var g)) { index[k] = g = groups.Count; groups.Add((k, [])); }
                groups[g].Members.Add(i);
            }
        return groups;
    }

    /// <summary>Passes over the groups in order, one random not-yet-taken item from each per pass, until the budget is spent or every group is exhausted.</summary>
    private static void RoundRobin(List<List<int>> groups, int count, CdtRandom rng, List<int> picked, HashSet<int> taken)
    {
        var live = groups.Select(g => g.Where(i => !taken.Contains(i)).ToList()).Where(g => g.Count > 0).ToList();
        while (picked.Count < count && live.Count > 0)
        {
            foreach (var g in live)
            {
                if (picked.Count >= count) break;
                g.RemoveAll(taken.Contains);   // an item may sit in several groups (specific's lower levels)
                if (g.Count > 0) Take(g, rng.Next(g.Count), picked, taken);
            }
            live.RemoveAll(g => g.Count == 0 || g.TrueForAll(taken.Contains));
        }
    }

    private static void Take(List<int> members, int at, List<int> picked, HashSet<int> taken)
    {
        int item = members[at];
        members[at] = members[^1];
        members.RemoveAt(members.Count - 1);
        picked.Add(item);
        taken.Add(item);
    }

    private static void BackFill(IReadOnlyList<int> randomOrder, int count, List<int> picked, HashSet<int> taken)
    {
        foreach (var i in randomOrder)
        {
            if (picked.Count >= count) break;
            if (taken.Add(i)) picked.Add(i);
        }
    }
}
