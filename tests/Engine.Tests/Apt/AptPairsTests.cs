using System.Text.Json.Nodes;
using Engine.Methods.Synthesis.APT;
using Engine.Models.Chat;

namespace Engine.Tests.Apt;

/// <summary>Pair construction: gold over the model's answer, gold over another similar case's gold, never chosen = rejected.</summary>
public class AptPairsTests
{
    private static AptCase C(string id, string prompt, string gold) => new(id, [new ChatMessage("user", prompt)], gold, true);

    [Fact]
    public void NoPairHasChosenEqualToRejectedEvenWhenMostGoldsCoincide()
    {
        // Syllogism-like golds: three answers shared by many items, some differing only in whitespace.
        string[] golds = ["Answer: yes", "Answer: no", "Answer: unknown", "Answer:  yes ", "Answer: no\n"];
        var similar = Enumerable.Range(0, 60).Select(i => C($"s{i}", $"q{i}", golds[(i * 7) % golds.Length])).ToList();
        var bad = Enumerable.Range(0, 20).Select(i => (C($"b{i}", $"bq{i}", "Answer: yes"), i % 4 == 0 ? " Answer:   yes" : "Answer: no")).ToList();
        var set = AptPairs.Build(bad, similar, seed: 5);
        Assert.All(set.Pairs, p => Assert.NotEqual(AptPairs.Normalize(p.Chosen), AptPairs.Normalize(p.Rejected)));
        // Every similar case found a partner (three distinct golds), and the five bad cases whose answer equals the gold up to spacing were dropped.
        Assert.Equal(60, set.Pairs.Count(p => p.Kind == "similar"));
        Assert.Equal(15, set.Pairs.Count(p => p.Kind == "bad"));
        Assert.Equal(5, set.DroppedBad);
        Assert.Equal(0, set.DroppedSimilar);
        // Similar pairs come first, then bad-case pairs (the official file's order); a bad case's rejected side is the model's own answer.
        Assert.Equal("similar", set.Pairs[0].Kind);
        Assert.Equal("bad", set.Pairs[^1].Kind);
        Assert.Equal("Answer: no", set.Pairs[^1].Rejected);
        Assert.All(set.Pairs.Where(p => p.Kind == "similar"), p =>
        {
            Assert.NotEqual(p.Id, p.RejectedFrom);
            Assert.Equal(similar.Single(c => c.Id == p.RejectedFrom).Gold, p.Rejected);
        });
    }

    [Fact]
    public void ASimilarCaseWhoseGoldEveryOtherSharesIsDropped()
    {
        var similar = new[] { C("a", "q1", "Answer: 4"), C("b", "q2", "Answer:  4"), C("c", "q3", "Answer: 5") };
        var set = AptPairs.Build([], similar, seed: 1);
        // a and b can only pair with c; c can pair with either.
        Assert.Equal(["c", "c"], set.Pairs.Where(p => p.Id is "a" or "b").Select(p => p.RejectedFrom));
        var lone = AptPairs.Build([], [C("a", "q1", "Answer: 4"), C("b", "q2", "Answer: 4")], seed: 1);
        Assert.Empty(lone.Pairs);
        Assert.Equal(2, lone.DroppedSimilar);
    }

    [Fact]
    public void PartnersAreUniformOverTheOtherGoldsAndFixedBySeed()
    {
        var similar = Enumerable.Range(0, 400).Select(i => C($"s{i}", $"q{i}", $"Answer: {i % 4}")).ToList();
        var a = AptPairs.Build([], similar, seed: 9);
        Assert.Equal(a.Pairs.Select(p => p.RejectedFrom), AptPairs.Build([], similar, seed: 9).Pairs.Select(p => p.RejectedFrom));
        Assert.NotEqual(a.Pairs.Select(p => p.RejectedFrom), AptPairs.Build([], similar, seed: 10).Pairs.Select(p => p.RejectedFrom));
        // Each of the three other answers is drawn about a third of the time.
        var counts = a.Pairs.GroupBy(p => (int.Parse(p.Chosen[^1..]) - int.Parse(p.Rejected[^1..]) + 4) % 4).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal([1, 2, 3], counts.Keys.Order());
        Assert.All(counts.Values, c => Assert.InRange(c, 100, 170));
    }

    [Theory]
    [InlineData(new[] { 1, 3 }, 0, 0)]
    [InlineData(new[] { 1, 3 }, 1, 2)]
    [InlineData(new[] { 1, 3 }, 2, 4)]
    [InlineData(new[] { 0, 1, 2 }, 0, 3)]
    public void NthOutsideSkipsTheExcluded(int[] excluded, int n, int expected) => Assert.Equal(expected, AptPairs.NthOutside(excluded, n));

    [Fact]
    public void PairLinesAreChatPreferenceRecordsTheTrainerReads()
    {
        var p = new AptPair("bad", "x1", [new ChatMessage("user", "12 + 46")], "Answer: 58", "Answer: 57", true);
        var line = JsonNode.Parse(AptTrainingLines.Preference(p).ToJsonString())!.AsObject();
        var record = Engine.Methods.Core.Data.DataRecord.Parse(new Engine.Methods.Core.Data.DataRow("pairs.jsonl", 1, line)).ToPreference();
        Assert.Equal("12 + 46", Assert.Single(record.Prompt).Content);
        Assert.Equal("Answer: 58", Assert.Single(record.Chosen).Content);
        Assert.Equal("Answer: 57", Assert.Single(record.Rejected).Content);
    }
}
