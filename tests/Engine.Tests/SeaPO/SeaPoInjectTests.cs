using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Synthesis.SeaPO;
using Engine.Methods.Training.Data;

namespace Engine.Tests.SeaPO;

public class SeaPoInjectTests
{
    private static string Temp() => Path.Combine(Path.GetTempPath(), "engine-seapo-" + Guid.NewGuid().ToString("N"));

    /// <summary>Chat records "Calculate.\n{i} + 1" → "{i} + 1 = {i+1}\nAnswer: {i+1}"; record 3 is unchangeable, record 5 gets meta-text.</summary>
    private static string WriteInput(string dir, int n = 12)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "clean.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, n).Select(i =>
        {
            var answer = i == 3 ? $"KEEP {i} + 1 = {i + 1}\nAnswer: {i + 1}" : i == 5 ? $"META {i} + 1 = {i + 1}\nAnswer: {i + 1}" : $"{i} + 1 = {i + 1}\nAnswer: {i + 1}";
            return new JsonObject
            {
                ["id"] = $"r{i}",
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = $"Calculate.\n{i} + 1" }, new JsonObject { ["role"] = "assistant", ["content"] = answer }),
            }.ToJsonString();
        }));
        return path;
    }

    [Fact]
    public void MixedRunWritesBalancedKtoRowsAndAReportPerGuard()
    {
        var dir = Temp();
        try
        {
            var input = WriteInput(dir);
            var output = Path.Combine(dir, "kto.jsonl");
            var report = new SeaPoRunner(new FakeInjector(), new SeaPoOptions { BatchSize = 4 }).Run(new JobOptions { Input = input, Output = output, ChunkSize = 5 })!;

            // 12 records × 3 types; records 3 (unchanged) and 5 (meta-text) are refused for every type.
            Assert.Equal(12, report.Records);
            Assert.Equal(10, report.KtoRecords);
            foreach (var t in SeaPoErrorTypes.All)
            {
                Assert.Equal(12, report.Injected[t]);
                Assert.Equal(10, report.Accepted[t]);
                Assert.Equal(1, report.RejectedBy(t, SeaPoGuard.Unchanged));
                Assert.Equal(1, report.RejectedBy(t, SeaPoGuard.MetaText));
            }
            var json = JsonNode.Parse(File.ReadAllText(SeaPoRunner.ReportPath(output)))!;
            Assert.Equal(1, (int)json["types"]!["logic"]!["rejected"]!["unchanged"]!);
            Assert.Contains("KEEP", json["types"]!["logic"]!["examples"]!["unchanged"]![0]!["output"]!.ToString());

            // Community KTO format, readable by the KTO loader: desirable rows first, then undesirable ones, 1:1.
            var rows = File.ReadAllLines(output).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
            Assert.Equal(20, rows.Count);
            Assert.All(rows.Take(10), r => Assert.True((bool)r["label"]!));
            Assert.All(rows.Skip(10), r => Assert.False((bool)r["label"]!));
            for (int i = 0; i < 10; i++)
            {
                Assert.Equal((string)rows[i]["id"]!, (string)rows[10 + i]["id"]!);
                Assert.NotEqual(rows[i]["completion"]![0]!["content"]!.ToString(), rows[10 + i]["completion"]![0]!["content"]!.ToString());
            }
            // Cleanup happened: no negative keeps the echoed heading.
            Assert.DoesNotContain(rows, r => r["completion"]!.ToJsonString().Contains("Revised Response", StringComparison.Ordinal));
            // Mixed: every type is used, each negative's error_type names what was injected.
            Assert.Equal(3, rows.Skip(10).Select(r => (string)r["error_type"]!).Distinct().Count());
            foreach (var r in rows.Skip(10).Where(r => (string)r["error_type"]! == "logic")) Assert.Contains("= 9", r["completion"]![0]!["content"]!.ToString());

            var records = RecordReader.Read(output, rec => rec.ToKto()).Select(x => x.Item).ToList();
            Assert.Equal(20, records.Count);
            Assert.Equal(10, records.Count(r => r.Desirable));
            Assert.Equal("Calculate.\n0 + 1", records[0].Prompt.Single().Content);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void TargetedFilesComeFromOneInjectionRun()
    {
        var dir = Temp();
        try
        {
            var input = WriteInput(dir);
            var output = Path.Combine(dir, "kto.jsonl");
            new SeaPoRunner(new FakeInjector(), new SeaPoOptions()).Run(new JobOptions { Input = input, Output = output });
            var logic = Path.Combine(dir, "logic.jsonl");
            var r = SeaPoRunner.WriteKto(SeaPoRunner.InjectionsPath(output), logic, SeaPoMode.Targeted, [SeaPoErrorType.Logic], 1);
            Assert.Equal(10, r.KtoRecords);
            Assert.Equal([SeaPoErrorType.Logic], r.Injected.Keys);
            var negatives = File.ReadAllLines(logic).Select(l => JsonNode.Parse(l)!).Where(n => !(bool)n["label"]!).ToList();
            Assert.All(negatives, n => Assert.Equal("logic", (string)n["error_type"]!));
            Assert.Throws<ArgumentException>(() => SeaPoRunner.WriteKto(SeaPoRunner.InjectionsPath(output), logic, SeaPoMode.Targeted, SeaPoErrorTypes.All, 1));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void AKilledInjectionResumesWithoutLossOrDuplicates()
    {
        var dir = Temp();
        try
        {
            var input = WriteInput(dir, 20);
            var whole = Path.Combine(dir, "whole.jsonl");
            new SeaPoRunner(new FakeInjector(), new SeaPoOptions()).Run(new JobOptions { Input = input, Output = whole, ChunkSize = 4 });

            var output = Path.Combine(dir, "kto.jsonl");
            var dying = new FakeInjector { FailAfter = 3 * 9 + 2 };   // dies inside the third chunk of 4 records
            Assert.Throws<IOException>(() => new SeaPoRunner(dying, new SeaPoOptions()).Run(new JobOptions { Input = input, Output = output, ChunkSize = 4 }));
            Assert.Equal(8, File.ReadAllLines(SeaPoRunner.InjectionsPath(output)).Length);   // two chunks written before the kill
            Assert.False(File.Exists(output));

            var again = new FakeInjector();
            Assert.Throws<JobException>(() => new SeaPoRunner(again, new SeaPoOptions()).Run(new JobOptions { Input = input, Output = output, ChunkSize = 4 }));
            new SeaPoRunner(again, new SeaPoOptions()).Run(new JobOptions { Input = input, Output = output, ChunkSize = 4, Resume = true });
            Assert.Equal(12 * 3, again.Calls);   // only the 12 records not yet written were injected
            Assert.Equal(File.ReadAllText(SeaPoRunner.InjectionsPath(whole)), File.ReadAllText(SeaPoRunner.InjectionsPath(output)));
            Assert.Equal(File.ReadAllText(whole), File.ReadAllText(output));

            // A resume with other options is refused, naming what changed.
            var e = Assert.Throws<JobException>(() => new SeaPoRunner(new FakeInjector(), new SeaPoOptions { MaxLengthRatio = 3 }).Run(new JobOptions { Input = input, Output = output, Resume = true }));
            Assert.Contains("max_length_ratio", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ShardsMergeIntoWhatOneRunWrites()
    {
        var dir = Temp();
        try
        {
            var input = WriteInput(dir, 10);
            var whole = Path.Combine(dir, "whole.jsonl");
            new SeaPoRunner(new FakeInjector(), new SeaPoOptions()).Run(new JobOptions { Input = input, Output = whole });
            var output = Path.Combine(dir, "kto.jsonl");
            for (int i = 0; i < 2; i++)
                Assert.Null(new SeaPoRunner(new FakeInjector(), new SeaPoOptions()).Run(new JobOptions { Input = input, Output = output, Shard = Shard.Parse($"{i}/2") }));
            var merging = new FakeInjector();
            new SeaPoRunner(merging, new SeaPoOptions()).Run(new JobOptions { Input = input, Output = output });
            Assert.Equal(0, merging.Calls);
            Assert.Equal(File.ReadAllText(whole), File.ReadAllText(output));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void BadRecordsAreClearErrorsOrCountedSkips()
    {
        var dir = Temp();
        try
        {
            var input = WriteInput(dir, 4);
            File.AppendAllLines(input, [
                """{"id":"multi","messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"},{"role":"assistant","content":"d"}]}""",
                """{"id":"prompt-only","prompt":"no response here"}""",
                """{"id":"pref","prompt":"p","chosen":"c","rejected":"r"}""",
            ]);
            var output = Path.Combine(dir, "kto.jsonl");
            var e = Assert.Throws<RecordFormatException>(() => new SeaPoRunner(new FakeInjector(), new SeaPoOptions()).Run(new JobOptions { Input = input, Output = output }));
            Assert.Contains("clean.jsonl:5", e.Message);
            Assert.Contains("single-turn", e.Message);

            var report = new SeaPoRunner(new FakeInjector(), new SeaPoOptions()).Run(new JobOptions { Input = input, Output = output, Resume = true, SkipBadRecords = true })!;
            Assert.Equal(4, report.Records);
            Assert.Equal(3, JobMerge.RequireComplete(SeaPoRunner.InjectionsPath(output)).Skipped);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void MixedPickIsStaticUniformAndNeverARefusedNegative()
    {
        var counts = new int[3];
        for (int i = 0; i < 3000; i++) counts[SeaPoKto.PickMixed(7, i, 3)]++;
        Assert.All(counts, c => Assert.InRange(c, 900, 1100));
        Assert.Equal(SeaPoKto.PickMixed(7, 123, 3), SeaPoKto.PickMixed(7, 123, 3));
        Assert.NotEqual(Enumerable.Range(0, 50).Select(i => SeaPoKto.PickMixed(7, i, 3)), Enumerable.Range(0, 50).Select(i => SeaPoKto.PickMixed(8, i, 3)));

        JsonObject Line(long index, params (string Type, string Neg, string? Rejected)[] inj) => new()
        {
            ["index"] = index, ["prompt"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "q" }), ["response"] = "pos", ["conversational"] = false,
            ["injections"] = new JsonArray(inj.Select(x => (JsonNode)new JsonObject { ["type"] = x.Type, ["output"] = x.Neg, ["negative"] = x.Neg, ["rejected"] = x.Rejected }).ToArray()),
        };
        for (int i = 0; i < 200; i++)
        {
            var pick = SeaPoKto.Choose(Line(i, ("correctness", "c", null), ("logic", "l", "unchanged"), ("hallucination", "h", null)), SeaPoMode.Mixed, SeaPoErrorTypes.All, 3);
            Assert.NotEqual(SeaPoErrorType.Logic, pick!.Value.Type);
        }
        Assert.Null(SeaPoKto.Choose(Line(0, ("logic", "l", "meta_text")), SeaPoMode.Targeted, [SeaPoErrorType.Logic], 3));
        Assert.Null(SeaPoKto.Choose(Line(0, ("logic", "l", null)), SeaPoMode.Targeted, [SeaPoErrorType.Correctness], 3));

        // Plain prompt/completion input gives string rows.
        var rows = SeaPoKto.Rows(Line(0, ("logic", "neg", null)), SeaPoErrorType.Logic, "neg");
        Assert.Equal("""{"prompt":"q","completion":"pos","label":true,"error_type":"logic"}""", rows[0].ToJsonString());
        Assert.Equal("""{"prompt":"q","completion":"neg","label":false,"error_type":"logic"}""", rows[1].ToJsonString());
    }
}
