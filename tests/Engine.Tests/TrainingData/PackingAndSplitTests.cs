using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;

namespace Engine.Tests.TrainingData;

public class PackingAndSplitTests
{
    private const int Ignore = -100, Pad = 0;

    /// <summary>Random examples: distinct-ish ids, a prompt part (-100) then a labelled part, lengths 1..maxLen.</summary>
    private static List<SftExample> RandomExamples(int seed, int count, int maxLen, double weight = 1.0, int idBase = 1)
    {
        var rng = new Random(seed);
        var list = new List<SftExample>();
        for (int e = 0; e < count; e++)
        {
            int n = rng.Next(1, maxLen + 1);
            var ids = Enumerable.Range(0, n).Select(_ => idBase + rng.Next(1, 1000)).ToArray();
            int promptLen = rng.Next(0, n);
            var labels = ids.Select((t, i) => i < promptLen ? Ignore : t).ToArray();
            list.Add(new SftExample(ids, labels, weight, Id: $"e{e}"));
        }
        return list;
    }

    /// <summary>The (previous input, label) pairs a causal LM trains on, in order: position i ≥ 1 with a label.</summary>
    private static List<(int Prev, int Label)> TrainedPairs(IEnumerable<SftExample> rows)
    {
        var pairs = new List<(int, int)>();
        foreach (var r in rows)
            for (int i = 1; i < r.InputIds.Length; i++)
                if (r.Labels[i] != Ignore) pairs.Add((r.InputIds[i - 1], r.Labels[i]));
        return pairs;
    }

    [Theory]
    [InlineData(false, 16, 25)]
    [InlineData(true, 16, 25)]
    [InlineData(false, 7, 5)]
    [InlineData(true, 3, 40)]
    public void PackingTrainsEveryLabelExactlyOnceAndNothingElse(bool split, int seqLength, int maxLen)
    {
        var examples = RandomExamples(seed: seqLength * 31 + maxLen, count: 60, maxLen);
        var rows = SftPacker.Pack(examples, seqLength, Pad, split).ToList();

        Assert.All(rows, r => { Assert.Equal(seqLength, r.InputIds.Length); Assert.Equal(seqLength, r.Labels.Length); });
        Assert.Equal(TrainedPairs(examples), TrainedPairs(rows));
        // Every input token of every example is in the rows, in order (overlap tokens are repeats, padding is 0).
        int totalInputs = examples.Sum(e => e.InputIds.Length);
        int nonPad = rows.Sum(r => r.InputIds.Count(t => t != Pad));
        Assert.True(nonPad >= totalInputs);
        if (split) Assert.True(rows.Take(rows.Count - 1).All(r => r.InputIds[^1] != Pad), "wrapped packing leaves no gaps before the last row");
    }

    [Fact]
    public void NoSplitModeKeepsShortExamplesWhole()
    {
        var examples = RandomExamples(seed: 5, count: 40, maxLen: 10);
        var rows = SftPacker.Pack(examples, 12, Pad).ToList();
        foreach (var ex in examples)
            Assert.Contains(rows, r => Contains(r.InputIds, ex.InputIds));
    }

    [Fact]
    public void BoundaryLabelIsMasked()
    {
        // Text-like examples label every token; packed, the second example's first token must not be a target.
        var a = new SftExample([11, 12, 13], [11, 12, 13]);
        var b = new SftExample([21, 22], [21, 22]);
        var row = SftPacker.Pack([a, b], 6, Pad).Single();
        Assert.Equal([11, 12, 13, 21, 22, Pad], row.InputIds);
        Assert.Equal([Ignore, 12, 13, Ignore, 22, Ignore], row.Labels);
    }

    [Fact]
    public void LongExampleContinuesWithItsPreviousToken()
    {
        var a = new SftExample([1, 2, 3, 4, 5, 6, 7], [Ignore, Ignore, 3, 4, 5, 6, 7]);
        var rows = SftPacker.Pack([a], 4, Pad).ToList();
        Assert.Equal([[1, 2, 3, 4], [4, 5, 6, 7]], rows.Select(r => r.InputIds));
        Assert.Equal([[Ignore, Ignore, 3, 4], [Ignore, 5, 6, 7]], rows.Select(r => r.Labels));
    }

    [Fact]
    public void DifferentWeightsNeverShareARow()
    {
        var light = RandomExamples(1, 10, 6, weight: 1.0, idBase: 1000);
        var heavy = RandomExamples(2, 10, 6, weight: 2.0, idBase: 5000);
        var mixed = light.Zip(heavy, (x, y) => new[] { x, y }).SelectMany(p => p).ToList();
        var rows = SftPacker.Pack(mixed, 32, Pad).ToList();
        foreach (var r in rows)
        {
            var real = r.InputIds.Where(t => t != Pad).ToList();
            Assert.True(r.Weight == 2.0 ? real.All(t => t > 5000) : real.All(t => t < 5000));
        }
        Assert.Equal(TrainedPairs(mixed), TrainedPairs(rows));
    }

    private static bool Contains(int[] hay, int[] needle)
    {
        for (int i = 0; i + needle.Length <= hay.Length; i++)
            if (hay.AsSpan(i, needle.Length).SequenceEqual(needle)) return true;
        return false;
    }

    [Fact]
    public void SplitIsDeterministicAndNearTheRatio()
    {
        var keys = Enumerable.Range(0, 20000).Select(i => $"record-{i}").ToList();
        var (train, eval) = TrainEvalSplit.Split(keys, k => k, 0.2);
        Assert.Equal(keys.Count, train.Count + eval.Count);
        Assert.InRange(eval.Count / (double)keys.Count, 0.19, 0.21);
        // Same answer in another order and on another call; a different seed moves items.
        var (_, eval2) = TrainEvalSplit.Split(keys.AsEnumerable().Reverse(), k => k, 0.2);
        Assert.Equal(eval.ToHashSet(), eval2.ToHashSet());
        var (_, eval3) = TrainEvalSplit.Split(keys, k => k, 0.2, seed: "other");
        Assert.NotEqual(eval.ToHashSet(), eval3.ToHashSet());
        Assert.Empty(TrainEvalSplit.Split(keys, k => k, 0.0).Eval);
        Assert.Empty(TrainEvalSplit.Split(keys, k => k, 1.0).Train);
    }

    [Fact]
    public void SplitKeysUseIdThenContent()
    {
        var withId = new DataRow("a.jsonl", 1, (JsonObject)JsonNode.Parse("""{"id":"x1","text":"t"}""")!);
        var sameId = new DataRow("b.jsonl", 9, (JsonObject)JsonNode.Parse("""{"id":"x1","text":"different"}""")!);
        var noId = new DataRow("a.jsonl", 2, (JsonObject)JsonNode.Parse("""{"text":"t"}""")!);
        var sameContent = new DataRow("c.jsonl", 5, (JsonObject)JsonNode.Parse("""{"text":"t"}""")!);
        Assert.Equal(TrainEvalSplit.KeyOf(withId), TrainEvalSplit.KeyOf(sameId));
        Assert.Equal(TrainEvalSplit.KeyOf(noId), TrainEvalSplit.KeyOf(sameContent));
        Assert.NotEqual(TrainEvalSplit.KeyOf(withId), TrainEvalSplit.KeyOf(noId));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainEvalSplit.IsEval("k", 1.5));
        // Example keys are content: equal tokens, equal keys; the KTO label does not matter.
        Assert.Equal(TrainEvalSplit.KeyOf(new KtoExample([1, 2], [3], true, "a")), TrainEvalSplit.KeyOf(new KtoExample([1, 2], [3], false, "b")));
        Assert.NotEqual(TrainEvalSplit.KeyOf(new PreferenceExample([1], [2, 3], [4])), TrainEvalSplit.KeyOf(new PreferenceExample([1, 2], [3], [4])));
        Assert.Equal(TrainEvalSplit.KeyOf(new SftExample([5, 6], [5, 6], Id: "x")), TrainEvalSplit.KeyOf(new SftExample([5, 6], [-100, 6], Id: "y")));
    }
}
