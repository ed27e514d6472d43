using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Curriculum.CommonIT;
using Engine.Methods.Evaluation.Experiments;

namespace Engine.Tests.Curriculum;

/// <summary>CommonIT grouping: the bin and merge arithmetic by hand, and task/length/embedding groups of hand-made records.</summary>
public class CommonItGroupingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("commonit-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    // ---- the arithmetic ----

    [Fact]
    public void QuantileBinsCutAtEqualCountsAndKeepTiesTogether()
    {
        Assert.Equal([0, 0, 1, 1, 2, 2, 3, 3], CommonItGrouping.QuantileBins([1, 2, 3, 4, 5, 6, 7, 8], 4));
        Assert.Equal([3, 0, 2, 1], CommonItGrouping.QuantileBins([40, 2, 9, 5], 4));
        // Four of six records have length 5 and cannot be split: the three bins become two.
        Assert.Equal([1, 1, 0, 1, 0, 1], CommonItGrouping.QuantileBins([5, 5, 1, 5, 2, 5], 3));
    }

    [Fact]
    public void EqualWidthBinsCutTheRangeEvenly()
    {
        // Range 0..100 in 4 intervals of 25: 0–24, 25–49, 50–74, 75–100; the empty ones are renumbered away.
        Assert.Equal([0, 0, 1, 2, 2], CommonItGrouping.EqualWidthBins([0, 24, 25, 99, 100], 4));
        Assert.Equal([0, 1, 1], CommonItGrouping.EqualWidthBins([0, 80, 100], 4));
        Assert.Equal([0, 0], CommonItGrouping.EqualWidthBins([7, 7], 4));
    }

    [Fact]
    public void SmallGroupsMergeIntoTheirNearestNeighbour()
    {
        // Four length bins in a row (distance = how far apart): bin 3 (1 record) can only join bin 2; bin 1 (2 records) is
        // then as close to bin 0 as to bin 2 and joins the smaller, bin 0.
        var line = new double[4, 4];
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) line[i, j] = Math.Abs(i - j);
        var plan = CommonItGrouping.MergeSmallGroups([10, 2, 10, 1], 5, line);
        Assert.Equal([0, 0, 2, 2], plan.Target);
        Assert.Equal([new GroupMerge(3, 1, 2, 11), new GroupMerge(1, 2, 0, 12)], plan.Merges);
        // No geometry (tasks): the smallest undersized group goes into the smallest other group, so tiny ones pool first.
        var none = CommonItGrouping.MergeSmallGroups([20, 3, 2, 30], 5, new double[4, 4]);
        Assert.Equal([0, 1, 1, 3], none.Target);
        Assert.Equal([0, 1, 3], none.Survivors);
        // Nothing small: nothing merges.
        Assert.Empty(CommonItGrouping.MergeSmallGroups([5, 6], 5, new double[2, 2]).Merges);
    }

    [Fact]
    public void NearestCentroidUsesCosineOfNormalisedMeans()
    {
        float[][] refs = [[1, 0], [10, 1], [0, 1], [0.2f, 3]];
        var c = CommonItGrouping.Centroids(refs, [0, 0, 1, 1], 2);
        // Each vector is normalised before averaging, so the long [10, 1] does not outweigh [1, 0].
        Assert.Equal(0.5 * (1 + 10 / Math.Sqrt(101)), c[0][0], 6);
        Assert.Equal(0, CommonItGrouping.Nearest([3, 1], c));
        Assert.Equal(1, CommonItGrouping.Nearest([1, 3], c));
        Assert.Equal(1.0, CommonItGrouping.Cosine([2, 0], [5, 0]), 12);
    }

    // ---- records ----

    private string Write(string name, IEnumerable<JsonObject> records)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllLines(path, records.Select(r => r.ToJsonString()));
        return path;
    }

    private static JsonObject Alpaca(string instruction, string output, string? task = null)
    {
        var o = new JsonObject { ["instruction"] = instruction, ["output"] = output };
        if (task is not null) o["task"] = task;
        return o;
    }

    [Fact]
    public void TaskGroupsFollowTheFieldAndTinyTasksPoolTogether()
    {
        var records = Enumerable.Range(0, 10).Select(i => Alpaca($"q{i}", "a", "math"))
            .Concat(Enumerable.Range(0, 3).Select(i => Alpaca($"r{i}", "b", "logic")))
            .Concat(Enumerable.Range(0, 2).Select(i => Alpaca($"s{i}", "c", "code")))
            .Concat(Enumerable.Range(0, 9).Select(i => Alpaca($"t{i}", "d", "text"))).ToList();
        var input = Write("tasks.jsonl", records);
        var output = Path.Combine(_dir, "grouped.jsonl");
        var logged = new List<string>();
        var result = new CommonItGrouper(new CommonItOptions { MinGroupSize = 5 }, logged.Add).Run(input, output);
        Assert.Equal([("code+logic", 5), ("math", 10), ("text", 9)], result.Groups.OrderBy(g => g.Name).ToArray());
        Assert.Contains(logged, l => l.Contains("'code' (2 records)") && l.Contains("merged into 'logic'"));
        // Output: the same records in the same order, with their group added.
        var lines = File.ReadAllLines(output).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
        Assert.Equal(records.Count, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            Assert.Equal(records[i]["instruction"]!.GetValue<string>(), lines[i]["instruction"]!.GetValue<string>());
            var task = records[i]["task"]!.GetValue<string>();
            Assert.Equal(task is "code" or "logic" ? "code+logic" : task, lines[i]["group"]!.GetValue<string>());
        }
    }

    [Fact]
    public void AMissingTaskFieldIsAnErrorNamingTheLine()
    {
        var input = Write("missing.jsonl", [Alpaca("a", "b", "x"), Alpaca("c", "d", "x"), Alpaca("e", "f")]);
        var e = Assert.Throws<RecordFormatException>(() => new CommonItGrouper(new CommonItOptions { MinGroupSize = 1 }).Run(input, Path.Combine(_dir, "o.jsonl")));
        Assert.Equal(3, e.Line);
        Assert.Contains("missing.jsonl:3", e.Message);
        Assert.Contains("\"task\"", e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "o.jsonl")));
        var bad = Write("bad.jsonl", [new JsonObject { ["instruction"] = "a", ["output"] = "b", ["task"] = new JsonArray() }]);
        Assert.Contains("bad.jsonl:1", Assert.Throws<RecordFormatException>(() => new CommonItGrouper(new CommonItOptions { MinGroupSize = 1 }).Run(bad, Path.Combine(_dir, "o.jsonl"))).Message);
    }

    [Fact]
    public void AGroupStillTooSmallAfterMergingIsAnError()
    {
        var input = Write("small.jsonl", [Alpaca("a", "b", "x"), Alpaca("c", "d", "y"), Alpaca("e", "f", "y")]);
        var e = Assert.Throws<InvalidDataException>(() => new CommonItGrouper(new CommonItOptions { MinGroupSize = 8 }).Run(input, Path.Combine(_dir, "o.jsonl")));
        Assert.Contains("x+y", e.Message);
        Assert.Contains("3 records", e.Message);
        Assert.Contains("minimum group size 8", e.Message);
        var empty = Write("empty.jsonl", []);
        Assert.Contains("no records", Assert.Throws<InvalidDataException>(() => new CommonItGrouper(new CommonItOptions()).Run(empty, Path.Combine(_dir, "o.jsonl"))).Message);
    }

    private static readonly string[] XWords = ["apple", "banana", "cherry", "grape", "melon"];
    private static readonly string[] YWords = ["zebra", "walrus", "yak", "otter", "llama"];

    /// <summary>A tiny random model whose tokenizer knows the words of these tests.</summary>
    private string TinyModel()
    {
        var corpus = Enumerable.Range(0, 40).Select(i => string.Join(' ', XWords.Concat(YWords).Skip(i % 10).Take(4)) + " yes no maybe long answer words here");
        return TestbedExperiment.MakeTinyModel(Path.Combine(_dir, "model"), corpus, new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 300), seed: 2);
    }

    [Fact]
    public void LengthGroupsSeparateShortFromLongResponsesAndMergeAnOutlierIntoTheNearerBin()
    {
        string longAnswer = string.Join(' ', Enumerable.Repeat("long answer words here", 8));
        var records = Enumerable.Range(0, 6).Select(i => Alpaca($"q{i}", "yes"))
            .Concat(Enumerable.Range(0, 2).Select(i => Alpaca($"m{i}", "yes no maybe")))
            .Concat(Enumerable.Range(0, 6).Select(i => Alpaca($"l{i}", longAnswer))).ToList();
        var input = Write("lengths.jsonl", records);
        var model = TinyModel();
        var logged = new List<string>();
        // 7 quantile bins over 14 records put the 6 short, the 2 medium and the 6 long responses in three bins.
        var result = new CommonItGrouper(new CommonItOptions { By = GroupingMetric.Length, Model = model, Groups = 7, MinGroupSize = 3 }, logged.Add)
            .Run(input, Path.Combine(_dir, "o.jsonl"));
        var g = result.GroupOfRecord;
        Assert.Equal(2, result.Groups.Count);
        Assert.Single(g.Take(8).Distinct());            // short + the two medium ones (nearer to short than to long)
        Assert.Single(g.Skip(8).Distinct());
        Assert.NotEqual(g[0], g[8]);
        Assert.Single(logged, l => l.Contains("merged"));
        Assert.StartsWith("len", g[0]);

        // Without merging the three lengths stay apart.
        var three = new CommonItGrouper(new CommonItOptions { By = GroupingMetric.Length, Model = model, Groups = 7, MinGroupSize = 1 }).Assign(CommonItGrouper.ReadRows(input));
        Assert.Equal(3, three.Groups.Count);
        Assert.Equal(3, new[] { three.GroupOfRecord[0], three.GroupOfRecord[6], three.GroupOfRecord[8] }.Distinct().Count());
    }

    [Theory]
    [InlineData(EmbeddingAssignment.Centroid)]
    [InlineData(EmbeddingAssignment.NearestItem)]
    public void EmbeddingGroupsFollowTheNearestReferenceLabel(EmbeddingAssignment assignment)
    {
        string Words(string[] pool, int i) => string.Join(' ', Enumerable.Range(0, 3).Select(k => pool[(i + 2 * k) % pool.Length]));
        var reference = Write("reference.jsonl", Enumerable.Range(0, 5).Select(i => Alpaca(Words(XWords, i), "yes", "fruit"))
            .Concat(Enumerable.Range(0, 5).Select(i => Alpaca(Words(YWords, i), "no", "animal"))));
        var records = Enumerable.Range(0, 12).Select(i => i % 2 == 0 ? Alpaca(Words(XWords, i + 1), "maybe") : Alpaca(Words(YWords, i + 3), "maybe")).ToList();
        var input = Write("pool.jsonl", records);
        var result = new CommonItGrouper(new CommonItOptions
        {
            By = GroupingMetric.Embedding, Model = TinyModel(), Reference = reference, Layer = 0, MinGroupSize = 2, Assignment = assignment,
        }).Run(input, Path.Combine(_dir, "o.jsonl"));
        for (int i = 0; i < records.Count; i++) Assert.Equal(i % 2 == 0 ? "fruit" : "animal", result.GroupOfRecord[i]);
    }
}
