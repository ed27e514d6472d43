using System.Security.Cryptography;
using System.Text.Json;
using Engine.Methods.Evaluation.Testbed;

namespace Engine.Tests.Testbed;

/// <summary>Determinism, exact noise counts, family balance, train/test disjointness and the PRNG.</summary>
public class TestbedGeneratorTests
{
    private static byte[] Bytes(TestbedOptions o, TestbedFormat format, bool hide = false)
    {
        using var ms = new MemoryStream();
        TestbedWriter.Write(TestbedGenerator.Generate(o), ms, format, hide);
        return ms.ToArray();
    }

    [Fact]
    public void SplitMix64MatchesThePublishedSequence()
    {
        // Reference outputs of SplitMix64 (Steele, Lea, Flood 2014; Vigna's splitmix64.c) from state 0 and state 1234567.
        var rng = new TestbedRng(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, rng.NextU64());
        Assert.Equal(0x6E789E6AA1B965F4UL, rng.NextU64());
        Assert.Equal(0x06C45D188009454FUL, rng.NextU64());
        var r2 = new TestbedRng(1234567);
        Assert.Equal(6457827717110365317UL, r2.NextU64());
        Assert.Equal(3203168211198807973UL, r2.NextU64());
    }

    [Fact]
    public void BoundedDrawsAreInRangeAndRoughlyUniform()
    {
        var rng = new TestbedRng(5);
        var counts = new int[7];
        for (int i = 0; i < 70_000; i++) counts[rng.Next(7)]++;
        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));
        for (int i = 0; i < 1000; i++) Assert.InRange(rng.Range(-3, 4), -3, 4);
        Assert.NotEqual(TestbedRng.Derive(1, "a"), TestbedRng.Derive(1, "b"));
        Assert.NotEqual(TestbedRng.Derive(1, 1, 2), TestbedRng.Derive(1, 2, 1));
    }

    [Theory]
    [InlineData(TestbedFormat.Alpaca)]
    [InlineData(TestbedFormat.Chat)]
    [InlineData(TestbedFormat.Preference)]
    [InlineData(TestbedFormat.Kto)]
    public void SameSeedSameBytesOtherSeedOtherBytes(TestbedFormat format)
    {
        var o = new TestbedOptions { N = 300, Noise = 0.3, MinDifficulty = 1, MaxDifficulty = 3, Cot = true, Length = ResponseLength.Long, Seed = 99 };
        var a = Bytes(o, format);
        var b = Bytes(o, format);
        Assert.Equal(SHA256.HashData(a), SHA256.HashData(b));
        Assert.NotEqual(SHA256.HashData(a), SHA256.HashData(Bytes(o with { Seed = 100 }, format)));
        // Only '\n' line ends and no BOM, so the bytes do not depend on the platform.
        Assert.DoesNotContain((byte)'\r', a);
        Assert.NotEqual(0xEF, a[0]);
    }

    [Theory]
    [InlineData(10, 0.25, 3)]   // 2.5 rounds away from zero
    [InlineData(10, 0.05, 1)]   // 0.5 too
    [InlineData(1000, 0.123, 123)]
    [InlineData(7, 0.0, 0)]
    [InlineData(7, 1.0, 7)]
    [InlineData(333, 0.2, 67)]  // 66.6
    public void NoiseFractionIsExact(int n, double noise, int expected)
    {
        var records = TestbedGenerator.Generate(new TestbedOptions { N = n, Noise = noise, Cot = true, Seed = 4 });
        Assert.Equal(n, records.Count);
        Assert.Equal(expected, records.Count(r => r.Meta!.Corrupted));
        Assert.Equal(expected, records.Count(r => r.Meta!.Corruption is not null));
        // Kinds cycle, so their counts differ by at most one.
        var perKind = CorruptionKinds.All.Select(k => records.Count(r => r.Meta!.Corruption == k)).ToArray();
        Assert.True(perKind.Max() - perKind.Min() <= 1, string.Join(",", perKind));
    }

    [Fact]
    public void FamiliesAreBalancedAndIdsUnique()
    {
        var records = TestbedGenerator.Generate(new TestbedOptions { N = 14 * 7 + 3, Seed = 8 });
        var counts = records.GroupBy(r => r.Task).Select(g => g.Count()).ToArray();
        Assert.Equal(TaskRegistry.All.Count, counts.Length);
        Assert.True(counts.Max() - counts.Min() <= 1);
        Assert.Equal(records.Count, records.Select(r => r.Id).Distinct().Count());
    }

    [Fact]
    public void DifficultyRangeIsHonoured()
    {
        var records = TestbedGenerator.Generate(new TestbedOptions { N = 300, MinDifficulty = 2, MaxDifficulty = 3, Seed = 2 });
        Assert.All(records, r => Assert.InRange(r.Difficulty, 2, 3));
        Assert.Contains(records, r => r.Difficulty == 2);
        Assert.Contains(records, r => r.Difficulty == 3);
        Assert.Equal((1, 3), TestbedOptions.ParseDifficulty("1-3"));
        Assert.Equal((2, 2), TestbedOptions.ParseDifficulty("2"));
        Assert.Throws<ArgumentException>(() => TestbedGenerator.Generate(new TestbedOptions { N = 1, MinDifficulty = 0 }));
        Assert.Throws<ArgumentException>(() => TestbedGenerator.Generate(new TestbedOptions { N = 1, MaxDifficulty = 4 }));
    }

    [Fact]
    public void TrainAndTestPromptsAreDisjoint()
    {
        // Difficulty 1 has the smallest prompt spaces, so collisions would show there first; different seeds on purpose.
        var train = TestbedGenerator.Generate(new TestbedOptions { N = 3000, Split = TestbedSplit.Train, Seed = 1 });
        var test = TestbedGenerator.Generate(new TestbedOptions { N = 600, Split = TestbedSplit.Test, Seed = 2 });
        var trainPrompts = train.Select(r => r.Prompt).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(test, r => trainPrompts.Contains(r.Prompt));
        Assert.All(train, r => Assert.False(TestbedGenerator.IsTestPrompt(r.Prompt, 0.1)));
        Assert.All(test, r => Assert.True(TestbedGenerator.IsTestPrompt(r.Prompt, 0.1)));
        Assert.All(test, r => Assert.StartsWith("test-", r.Id));
        // Same seed, both splits: still disjoint.
        var test1 = TestbedGenerator.Generate(new TestbedOptions { N = 600, Split = TestbedSplit.Test, Seed = 1 });
        Assert.DoesNotContain(test1, r => trainPrompts.Contains(r.Prompt));
    }

    [Fact]
    public void TaskListParsesFamiliesDomainsAndAll()
    {
        Assert.Equal(TaskRegistry.All.Count, TaskRegistry.Parse("all").Count);
        Assert.Equal(["arith", "word_problem", "unit_convert", "date_calc", "sequence", "translate"],
            TaskRegistry.Parse("translate,math").Select(f => f.Name));
        Assert.Throws<ArgumentException>(() => TaskRegistry.Parse("nope"));
        Assert.True(TaskRegistry.All.Count >= 12);
        Assert.True(TaskRegistry.All.Select(f => f.Domain).Distinct().Count() >= 6);
    }

    [Fact]
    public void DifficultyOneIsShort()
    {
        // Tiny models must learn difficulty 1: prompts and answers stay short.
        var records = TestbedGenerator.Generate(new TestbedOptions { N = 1400, Seed = 6 });
        foreach (var g in records.GroupBy(r => r.Task))
        {
            Assert.True(g.Max(r => r.Prompt.Length) <= 200, $"{g.Key}: prompt of {g.Max(r => r.Prompt.Length)} chars");
            Assert.True(g.Max(r => r.Output.Length) <= 40, $"{g.Key}: output of {g.Max(r => r.Output.Length)} chars");
        }
    }

    [Fact]
    public void RecordSeedRegeneratesTheInstance()
    {
        foreach (var r in TestbedGenerator.Generate(new TestbedOptions { N = 60, MaxDifficulty = 3, Seed = 12 }))
        {
            var inst = TaskRegistry.Get(r.Task).Generate(new TestbedRng(r.Meta!.Seed), r.Difficulty);
            Assert.Equal(r.Instruction, inst.Instruction);
            Assert.Equal(r.Input, inst.Input);
            Assert.Equal(r.Answer, inst.Answer);
        }
    }

    [Fact]
    public void CdtTagsUseTheCdtLabelSets()
    {
        string[] cognition = ["PR", "CA", "HP", "RG", "RQ", "RD", "WA", "NA", "FA", "FE", "SP", "FO", "FI", "FW", "NM", "LA", "PD", "AC"];
        string[] tasks = ["Generation", "Rewrite", "Summarization", "Classification", "Brainstorming", "Sentiment", "Completion",
            "Natural Language Inference", "Bias and Fairness", "Word Sense Disambiguation", "Multiple Choice QA", "Closed Book QA", "Extractive QA"];
        foreach (var r in TestbedGenerator.Generate(new TestbedOptions { N = 200, Seed = 3 }))
        {
            Assert.InRange(r.Tags.Cognition.Count, 1, 2);
            Assert.All(r.Tags.Cognition, c => Assert.Contains(c, cognition));
            Assert.Single(r.Tags.Task);
            Assert.Contains(r.Tags.Task[0], tasks);
            Assert.Single(r.Tags.Domain);
        }
    }

    [Fact]
    public void JsonIsParseableByAStandardParser()
    {
        var text = System.Text.Encoding.UTF8.GetString(Bytes(new TestbedOptions { N = 50, Cot = true, Seed = 1 }, TestbedFormat.Alpaca));
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            using (JsonDocument.Parse(line)) { }
    }
}
