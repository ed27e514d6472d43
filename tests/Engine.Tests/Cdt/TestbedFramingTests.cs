using Engine.Methods.Evaluation.Testbed;

using Engine.Tests.TrainingData;

namespace Engine.Tests.Cdt;

/// <summary>The testbed extension CDT needs: tags that vary within a family, unequal family weights; nothing else changes.</summary>
public class TestbedFramingTests
{
    private static readonly IReadOnlyList<ITaskFamily> Families = new[] { "syllogism", "string_ops", "kb_lookup", "multiple_choice" }.Select(TaskRegistry.Get).ToList();

    [Fact]
    public void FramingsVaryTheTagsWithinAFamilyButNeverTheProblemOrItsAnswer()
    {
        var plain = TestbedGenerator.Generate(new TestbedOptions { Tasks = Families, N = 400, Seed = 3 });
        var framed = TestbedGenerator.Generate(new TestbedOptions { Tasks = Families, N = 400, Seed = 3, Framings = true });
        Assert.Equal(plain.Select(r => (r.Id, r.Task, r.Answer, r.Input)), framed.Select(r => (r.Id, r.Task, r.Answer, r.Input)));
        Assert.All(plain.Zip(framed), p => Assert.EndsWith(p.First.Instruction, p.Second.Instruction, StringComparison.Ordinal));
        // Without framings a family has one tag combination; with them, three (multiple_choice has none of its own).
        string Key(TestbedRecord r) => string.Join("+", r.Tags.Cognition) + "|" + r.Tags.Domain[0] + "|" + r.Tags.Task[0];
        foreach (var family in new[] { "syllogism", "string_ops", "kb_lookup" })
        {
            Assert.Single(plain.Where(r => r.Task == family).Select(Key).Distinct());
            var keys = framed.Where(r => r.Task == family).GroupBy(Key).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(3, keys.Count);
            // The plain framing is the most frequent (weight 0.6 against 0.25 and 0.15): the histogram stays skewed.
            Assert.Equal(Key(plain.First(r => r.Task == family)), keys.MaxBy(k => k.Value).Key);
        }
        // A framed record's tags are the framing's, from CDT's label sets.
        var labels = Engine.Methods.Selection.CDT.CdtLabelSet.Default;
        Assert.All(framed, r =>
        {
            Assert.All(r.Tags.Cognition, c => Assert.NotNull(labels.Cognition.Canonical(c)));
            Assert.NotNull(labels.Domain.Canonical(r.Tags.Domain[0]));
            Assert.NotNull(labels.Task.Canonical(r.Tags.Task[0]));
        });
    }

    [Fact]
    public void WeightsGiveLargestRemainderFamilySizes()
    {
        Assert.Equal([50, 30, 20], TestbedGenerator.FamilyCounts(100, [5, 3, 2]));
        Assert.Equal([34, 33, 33], TestbedGenerator.FamilyCounts(100, [1, 1, 1]));     // the remainder to the earlier family
        Assert.Equal([0, 7], TestbedGenerator.FamilyCounts(7, [0, 2]));
        var records = TestbedGenerator.Generate(new TestbedOptions { Tasks = Families, Weights = [0.5, 0.25, 0.15, 0.1], N = 200, Seed = 4, Split = TestbedSplit.Train });
        var counts = records.GroupBy(r => r.Task).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal((100, 50, 30, 20), (counts["syllogism"], counts["string_ops"], counts["kb_lookup"], counts["multiple_choice"]));
        Assert.Throws<ArgumentException>(() => TestbedGenerator.Generate(new TestbedOptions { Tasks = Families, Weights = [1, 2], N = 10 }));
        Assert.Throws<ArgumentException>(() => TestbedGenerator.Generate(new TestbedOptions { Tasks = Families, Weights = [1, -1, 1, 1], N = 10 }));
    }

    [Fact]
    public void WithoutTheNewOptionsGenerationIsByteIdenticalToTheCodeBeforeThem()
    {
        // SHA-256 of `engine testbed make --tasks syllogism,string_ops,kb_lookup,multiple_choice --n 60 --seed 9 --noise 0.3`
        // written by the engine built from the commit before weights and framings existed.
        using var dir = new TempDir();
        var path = dir.File("d.jsonl");
        var root = new System.CommandLine.RootCommand("test") { Engine.Cli.Commands.TestbedCommand.Create() };
        Assert.Equal(0, root.Parse(["testbed", "make", "--tasks", "syllogism,string_ops,kb_lookup,multiple_choice", "--n", "60", "--seed", "9", "--noise", "0.3", "--out", path]).Invoke());
        Assert.Equal("0ee6e06f68e819d9a1957e494f5a7bff6d2d1192a057089783fe94e8475c28f2",
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))));
        // The same families with --framings differ (the option is really off by default).
        Assert.Equal(0, root.Parse(["testbed", "make", "--tasks", "syllogism,string_ops,kb_lookup,multiple_choice", "--n", "60", "--seed", "9", "--noise", "0.3", "--framings", "--out", path]).Invoke());
        Assert.NotEqual("0ee6e06f68e819d9a1957e494f5a7bff6d2d1192a057089783fe94e8475c28f2",
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))));
    }
}
