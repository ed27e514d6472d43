using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Synthesis.AQuilt;

namespace Engine.Tests.AQuilt;

/// <summary>The keep rule's two regimes, the score buckets, text independence, level balancing and the filter's drop counts.</summary>
public class AQuiltRulesTests
{
    private static readonly AQuiltFilterOptions Defaults = new();

    [Theory]
    [InlineData(5, 5)]
    [InlineData(9, 5)]
    [InlineData(4, 4)]
    [InlineData(3, 3)]
    [InlineData(2, 2)]
    [InlineData(1, 1)]
    [InlineData(0, 1)]
    [InlineData(-2, 1)]
    public void ScoresFallIntoTheReleasedBuckets(int score, int bucket) => Assert.Equal(bucket, AQuiltRules.Bucket(score));

    [Fact]
    public void ALowShareOfExactlyTwentyPercentKeepsScoresThreeAndUp()
    {
        // Ten scores, one 1 and one 2: (1 + 1) / 10 = 0.2, which does not exceed 0.2 → keep ≥ 3 (8 samples).
        int[] scores = [5, 5, 4, 4, 3, 3, 3, 2, 1, 5];
        var d = AQuiltRules.Keep(scores, Defaults);
        Assert.Equal(new[] {0, 1, 1, 3, 2, 3}, d.Buckets);
        Assert.Equal(0.2, d.LowShare, 12);
        Assert.Equal(3, d.MinScore);
        Assert.False(d.Relaxed(Defaults));
        Assert.Equal(8, scores.Count(s => AQuiltRules.Bucket(s) >= d.MinScore));
    }

    [Fact]
    public void MoreThanTwentyPercentLowScoresWidensTheKeptSetToTwo()
    {
        // Three of ten in buckets 1–2 (a 0 counts as 1): 0.3 > 0.2 → keep ≥ 2, i.e. everything but the 0 (9 samples).
        int[] scores = [5, 4, 3, 2, 2, 0, 5, 4, 3, 5];
        var d = AQuiltRules.Keep(scores, Defaults);
        Assert.Equal(0.3, d.LowShare, 12);
        Assert.Equal(2, d.MinScore);
        Assert.True(d.Relaxed(Defaults));
        Assert.Equal(9, scores.Count(s => AQuiltRules.Bucket(s) >= d.MinScore));
        // The thresholds are options.
        Assert.Equal(3, AQuiltRules.Keep(scores, Defaults with { LowShareThreshold = 0.3 }).MinScore);
        Assert.Equal(4, AQuiltRules.Keep([5, 5, 4], Defaults with { MinScore = 4 }).MinScore);
    }

    [Fact]
    public void TextIndependenceAppliesOnlyToTaskTypesWithoutThePassage()
    {
        var closed = AQuiltTaskTypes.Parse("close question answering").Type;
        var extractive = AQuiltTaskTypes.Parse("extractive question answering").Type;
        Assert.Equal("according to the passage", AQuiltRules.TextReference(closed, "According to the passage, who won?"));
        Assert.Equal("文中", AQuiltRules.TextReference(AQuiltTaskTypes.Parse("闭卷问答").Type, "文中提到的人是谁？"));
        Assert.Null(AQuiltRules.TextReference(closed, "Who won the 1998 final?"));
        Assert.Null(AQuiltRules.TextReference(extractive, "According to the passage, who won?"));
    }

    [Fact]
    public void BalancingDownSamplesEveryLevelToTheSmallestOrToACap()
    {
        // Levels 1..5 with 2, 5, 3, 9, 4 items.
        var items = new[] { 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5 }.Select((level, i) => (level, i)).ToList();
        var kept = AQuiltRules.Balance(items, x => x.level, seed: 3);
        Assert.All(Enumerable.Range(1, 5), l => Assert.Equal(2, kept.Count(x => x.level == l)));
        Assert.Equal(kept.OrderBy(x => x.i), kept);                                        // original order
        Assert.Equal(kept, AQuiltRules.Balance(items, x => x.level, seed: 3));              // seeded
        Assert.NotEqual(kept, AQuiltRules.Balance(items, x => x.level, seed: 4));           // and the seed matters
        var capped = AQuiltRules.Balance(items, x => x.level, seed: 3, cap: 4);
        Assert.Equal(new[] {2, 4, 3, 4, 4}, Enumerable.Range(1, 5).Select(l => capped.Count(x => x.level == l)));
    }

    private static AQuiltFilter.Sample Sample(string task, string question, int? score, string answer = "A", bool pair = true)
    {
        var o = new JsonObject { ["text"] = "The tail of Adok is long.", ["task_type"] = task, ["score"] = score };
        o["qa_pair"] = pair ? new JsonObject { ["question"] = question, ["thinking_steps"] = "T", ["answer"] = answer } : null;
        return AQuiltFilter.Read(DataRecord.Parse(new DataRow("t.jsonl", 1, o)));
    }

    [Fact]
    public void TheFilterReportsEveryDropByReason()
    {
        const string closed = "close question answering", open = "open question answering";
        var samples = new[]
        {
            Sample(closed, "What is the tail of Adok?", 5),
            Sample(closed, "What is the tail of Adok?", 4),                       // exact duplicate of the first
            Sample(closed, "What is the tail of comet Adok?", 5),                 // ROUGE-L 12/13 ≈ 0.92 against the first
            Sample(open, "What is the tail of Adok?", 5),                         // same question, other task type: kept
            Sample(closed, "According to the passage, what is Adok?", 4),         // points at the absent text
            Sample(closed, "Why?", 1),                                            // low score
            Sample(closed, "x", null, pair: false),                               // synthesis failed
            Sample(closed, "Unscored?", null),                                    // inspection failed
            Sample(closed, "Where does the orbit of Bemo lead?", 3),
        };
        var (kept, report) = AQuiltFilter.Apply(samples, new AQuiltFilterOptions { DiversityThreshold = 0.7, DiversityOn = DiversityText.Question, TextIndependence = true });
        // Scored pairs: 5,4,5,5,4,1,3 → low share 1/7 ≤ 0.2 → keep ≥ 3.
        Assert.Equal(3, report.Decision!.MinScore);
        Assert.Equal(9, report.Read);
        Assert.Equal(3, report.Kept);
        Assert.Equal(new Dictionary<string, long>
        {
            [DropReason.NoQaPair] = 1, [DropReason.NotInspected] = 1, [DropReason.LowScore] = 1, [DropReason.TextReference] = 1,
            [DropReason.TooLong] = 0, [DropReason.Duplicate] = 1, [DropReason.Similar] = 1,
        }, report.Dropped);
        Assert.Equal(new[] {"What is the tail of Adok?", "Read the context and answer the question.\nContext: The tail of Adok is long.\nQuestion: What is the tail of Adok?", "Where does the orbit of Bemo lead?"},
            kept.Select(k => k["instruction"]!.GetValue<string>()));
        Assert.Equal("Thinking steps:T\nAnswer:A", kept[0]["output"]!.GetValue<string>());
        Assert.Equal(5, kept[0]["score"]!.GetValue<int>());   // every input field is kept

        // Without scores and filters, every parsed pair is kept.
        var (all, r2) = AQuiltFilter.Apply(samples, new AQuiltFilterOptions { UseScores = false });
        Assert.Equal(8, all.Count);
        Assert.Null(r2.Decision);
    }
}
