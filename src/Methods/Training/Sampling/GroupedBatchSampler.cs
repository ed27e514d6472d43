namespace Engine.Methods.Training.Sampling;

/// <summary>What a by-group sampler does with a group's last, incomplete batch of an epoch.</summary>
public enum GroupRemainder
{
    /// <summary>Drop it (the released CommonIT code: drop_last, so a group smaller than a batch is never trained on).</summary>
    Drop,
    /// <summary>Keep it as a smaller batch, still from one group: every example is seen once per epoch.</summary>
    Keep,
}

/// <summary>
/// Every step batch comes from one group (CommonIT's MultiSubsetBatchSampler): each epoch, shuffle every
/// group, cut it into batches, then visit the multiset of all batches of all groups once, in a random order.
/// With <see cref="GroupRemainder.Drop"/> (the released code) a group's remainder is dropped that epoch and groups
/// smaller than one batch contribute nothing; with <see cref="GroupRemainder.Keep"/> the remainder is one smaller
/// batch of the same group.
/// </summary>
public sealed class GroupedBatchSampler : IEpochBatchSampler
{
    private readonly int[][] _groups;
    private readonly string[] _names;
    private readonly int _stepBatch;
    private readonly ulong _seed;

    /// <param name="groupOfExample">The group key of each example (e.g. SftExample.Group); groups are ordered by key.</param>
    /// <param name="remainder">What happens to each group's last incomplete batch of an epoch.</param>
    public GroupedBatchSampler(IReadOnlyList<string?> groupOfExample, int stepBatchSize, ulong seed, GroupRemainder remainder = GroupRemainder.Drop)
    {
        if (stepBatchSize <= 0) throw new ArgumentException($"step batch size must be positive, got {stepBatchSize}.");
        var byKey = new SortedDictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < groupOfExample.Count; i++)
        {
            var k = groupOfExample[i] ?? "";
            if (!byKey.TryGetValue(k, out var l)) byKey[k] = l = [];
            l.Add(i);
        }
        _names = [.. byKey.Keys];
        _groups = byKey.Values.Select(l => l.ToArray()).ToArray();
        _stepBatch = stepBatchSize; _seed = seed; Remainder = remainder;
        if (StepsPerEpoch == 0)
            throw new ArgumentException($"No group has a full batch of {stepBatchSize} examples (group sizes: {string.Join(", ", _groups.Select(g => g.Length))}).");
    }

    public string Kind => "group";
    public GroupRemainder Remainder { get; }
    public IReadOnlyList<string> GroupNames => _names;
    public int GroupSize(int g) => _groups[g].Length;
    public int BatchesInGroup(int g) => Remainder == GroupRemainder.Keep
        ? (_groups[g].Length + _stepBatch - 1) / _stepBatch
        : _groups[g].Length / _stepBatch;
    public int StepsPerEpoch => Enumerable.Range(0, _groups.Length).Sum(BatchesInGroup);

    public IReadOnlyList<int[]> EpochBatches(int epoch)
    {
        var perGroup = new List<int[]>[_groups.Length];
        var schedule = new List<int>();
        for (int g = 0; g < _groups.Length; g++)
        {
            var members = (int[])_groups[g].Clone();
            PhiloxShuffle.Shuffle(members, _seed, ((ulong)epoch << 20) + 1 + (ulong)g);
            perGroup[g] = members.Chunk(_stepBatch).Take(BatchesInGroup(g)).ToList();
            for (int k = 0; k < perGroup[g].Count; k++) schedule.Add(g);
        }
        var order = schedule.ToArray();
        PhiloxShuffle.Shuffle(order, _seed, (ulong)epoch << 20);
        var next = new int[_groups.Length];
        return order.Select(g => perGroup[g][next[g]++]).ToList();
    }
}
