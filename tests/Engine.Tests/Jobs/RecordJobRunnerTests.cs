using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Core.Progress;
using Engine.Tests.TrainingData;

namespace Engine.Tests.Jobs;

/// <summary>The record-job contract on a job without a model: sharding, merge, resume, refusal, bad records.</summary>
public class RecordJobRunnerTests
{
    private static string[] Texts(int n) => Enumerable.Range(0, n).Select(i => $$"""{"text": "record {{i}}", "id": "r{{i}}"}""").ToArray();

    private static JobOptions Opts(string input, string output, Action<JobOptions>? _ = null) => new() { Input = input, Output = output, ChunkSize = 3 };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ShardsMergedEqualTheWholeRunByteForByte(int samples)
    {
        using var dir = new TempDir();
        var input = dir.Write("in.jsonl", Texts(11));
        var whole = dir.File("whole.jsonl");
        RecordJobRunner.Run(new EchoJob(samples: samples), Opts(input, whole));
        var sharded = dir.File("sharded.jsonl");
        for (int i = 0; i < 3; i++) RecordJobRunner.Run(new EchoJob(samples: samples), Opts(input, sharded) with { Shard = new Shard(i, 3) });
        Assert.True(File.Exists(dir.File("sharded.shard-1-of-3.jsonl")));
        var s = JobMerge.Merge(sharded);
        Assert.Equal((3, 11L, 11L * samples), (s.Shards, s.Records, s.Lines));
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(sharded));
        // Input order, samples of a record together.
        var lines = File.ReadAllLines(sharded).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(Enumerable.Range(0, 11).SelectMany(i => Enumerable.Repeat((long)i, samples)), lines.Select(l => l["index"]!.GetValue<long>()));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AnInterruptedRunResumedEqualsAnUninterruptedOne(int samples)
    {
        using var dir = new TempDir();
        var input = dir.Write("in.jsonl", Texts(10));
        var whole = dir.File("whole.jsonl");
        RecordJobRunner.Run(new EchoJob(samples: samples), Opts(input, whole));

        var crashed = dir.File("crashed.jsonl");
        Assert.Throws<IOException>(() => RecordJobRunner.Run(new EchoJob(samples: samples, failAt: 7), Opts(input, crashed)));
        Assert.Equal(6 * samples, File.ReadAllLines(crashed).Length);   // two chunks of 3 were written before the crash
        // ... and its last line was torn: with two samples, record 5 is left with one whole line (a partial group) and half a line.
        var lines = File.ReadAllLines(crashed);
        File.WriteAllText(crashed, string.Concat(lines[..^1].Select(l => l + "\n")) + lines[^1][..5]);
        var resumed = new EchoJob(samples: samples);
        var s = RecordJobRunner.Run(resumed, Opts(input, crashed) with { Resume = true });
        Assert.Equal(5, s.Resumed);
        Assert.Equal(5, resumed.Processed);                                // nothing done twice
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(crashed));
        // Resuming a finished output is a no-op.
        Assert.True(RecordJobRunner.Run(new EchoJob(samples: samples), Opts(input, crashed) with { Resume = true }).WasComplete);
    }

    [Fact]
    public void ResumeWithOtherOptionsOrInputIsRefusedNamingTheDifference()
    {
        using var dir = new TempDir();
        var input = dir.Write("in.jsonl", Texts(5));
        var output = dir.File("out.jsonl");
        RecordJobRunner.Run(new EchoJob("!"), Opts(input, output));
        var before = File.ReadAllBytes(output);
        var e = Assert.Throws<JobException>(() => RecordJobRunner.Run(new EchoJob("?"), Opts(input, output) with { Resume = true }));
        Assert.Contains("suffix: ! → ?", e.Message);
        e = Assert.Throws<JobException>(() => RecordJobRunner.Run(new EchoJob("!", samples: 2), Opts(input, output) with { Resume = true }));
        Assert.Contains("outputs_per_record: 1 → 2", e.Message);
        File.AppendAllText(input, """{"text": "one more"}""" + "\n");
        e = Assert.Throws<JobException>(() => RecordJobRunner.Run(new EchoJob("!"), Opts(input, output) with { Resume = true }));
        Assert.Contains("input: sha256:", e.Message);
        Assert.Equal(before, File.ReadAllBytes(output));   // never mixed, never touched
    }

    [Fact]
    public void AnExistingOutputIsRefusedWithoutResumeAndReplacedWithOverwrite()
    {
        using var dir = new TempDir();
        var input = dir.Write("in.jsonl", Texts(4));
        var output = dir.File("out.jsonl");
        // --resume with nothing there starts fresh.
        Assert.Equal(0, RecordJobRunner.Run(new EchoJob("!"), Opts(input, output) with { Resume = true }).Resumed);
        var e = Assert.Throws<JobException>(() => RecordJobRunner.Run(new EchoJob("?"), Opts(input, output)));
        Assert.Contains("already exists", e.Message);
        Assert.Contains("--overwrite", e.Message);
        Assert.Contains("!", File.ReadAllText(output));
        RecordJobRunner.Run(new EchoJob("?"), Opts(input, output) with { Overwrite = true });
        Assert.DoesNotContain("!", File.ReadAllText(output));
        Assert.Equal(4, File.ReadAllLines(output).Length);
        // An output without a manifest (another tool's file) cannot be resumed: its options are unknown.
        File.Delete(JobManifest.PathFor(output));
        Assert.Contains("no out.jsonl.job.json", Assert.Throws<JobException>(() => RecordJobRunner.Run(new EchoJob("?"), Opts(input, output) with { Resume = true })).Message);
    }

    private static readonly string[] GoodBadBadGood = ["""{"text": "good 1"}""", """{"text": "oops""", """{"text": 5}""", """{"text": "good 2"}"""];

    [Fact]
    public void SkippingBadRecordsKeepsBothGoodOnesAndReportsEachAndTheCount()
    {
        using var dir = new TempDir();
        var input = dir.Write("in.jsonl", GoodBadBadGood);
        var output = dir.File("out.jsonl");
        var log = new StringWriter();
        var s = RecordJobRunner.Run(new EchoJob(), Opts(input, output) with { SkipBadRecords = true }, new ProgressMeter(new ProgressDisplay(log, inPlace: false)));
        Assert.Equal(["good 1!", "good 2!"], File.ReadAllLines(output).Select(l => JsonNode.Parse(l)!["echo"]!.GetValue<string>()));
        Assert.Equal(2, s.Skipped);
        var text = log.ToString();
        Assert.Contains($"skipped: {input}:2: invalid JSON", text);
        Assert.Contains($"skipped: {input}:3: \"text\" must be a string, got number", text);
        Assert.Contains("2 bad records skipped", text);
        Assert.Equal(2, JobManifest.TryRead(output)!.Skipped);
    }

    [Fact]
    public void StoppingAtABadRecordKeepsWhatCameBeforeItAndResumeWithSkipContinues()
    {
        using var dir = new TempDir();
        var input = dir.Write("in.jsonl", GoodBadBadGood);
        var output = dir.File("out.jsonl");
        var e = Assert.Throws<RecordFormatException>(() => RecordJobRunner.Run(new EchoJob(), Opts(input, output)));
        Assert.Equal(2, e.Line);
        Assert.Equal(["""{"echo":"good 1!","index":0,"sample_index":0}"""], File.ReadAllLines(output));
        RecordJobRunner.Run(new EchoJob(), Opts(input, output) with { Resume = true, SkipBadRecords = true });
        var skipRun = dir.File("skip.jsonl");
        RecordJobRunner.Run(new EchoJob(), Opts(input, skipRun) with { SkipBadRecords = true });
        Assert.Equal(File.ReadAllBytes(skipRun), File.ReadAllBytes(output));
    }

    [Fact]
    public void MergeNamesMissingUnfinishedAndMismatchedShards()
    {
        using var dir = new TempDir();
        var input = dir.Write("in.jsonl", Texts(9));
        var output = dir.File("out.jsonl");
        RecordJobRunner.Run(new EchoJob("!"), Opts(input, output) with { Shard = new Shard(0, 3) });
        var e = Assert.Throws<JobException>(() => JobMerge.Merge(output));
        Assert.Contains("shard 1/3: missing", e.Message);
        Assert.Contains("shard 2/3: missing", e.Message);
        Assert.False(File.Exists(output));

        RecordJobRunner.Run(new EchoJob("?"), Opts(input, output) with { Shard = new Shard(1, 3) });
        Assert.Throws<IOException>(() => RecordJobRunner.Run(new EchoJob("!", failAt: 8), Opts(input, output) with { Shard = new Shard(2, 3), ChunkSize = 1 }));
        e = Assert.Throws<JobException>(() => JobMerge.Merge(output));
        Assert.Contains("shard 1/3 was made with other options than shard 0/3: suffix: ! → ?", e.Message);
        Assert.Contains("shard 2/3: not finished (2 lines so far)", e.Message);
        Assert.False(File.Exists(output));

        RecordJobRunner.Run(new EchoJob("!"), Opts(input, output) with { Shard = new Shard(1, 3), Overwrite = true });
        RecordJobRunner.Run(new EchoJob("!"), Opts(input, output) with { Shard = new Shard(2, 3), Resume = true });
        // A shard whose lines were lost after it finished is caught too.
        var shard0 = new Shard(0, 3).PathOf(output);
        File.WriteAllLines(shard0, File.ReadAllLines(shard0).Take(2));
        Assert.Contains("shard 0/3: 2 lines, its records need 3", Assert.Throws<JobException>(() => JobMerge.Merge(output)).Message);
        RecordJobRunner.Run(new EchoJob("!"), Opts(input, output) with { Shard = new Shard(0, 3), Resume = true });
        Assert.Equal(9, JobMerge.Merge(output).Records);
    }

    [Fact]
    public void TheReadmeExampleJobRuns()
    {
        using var dir = new TempDir();
        var input = dir.Write("in.jsonl", """{"id": "a", "text": "four"}""", """{"id": "b", "text": "sixsix"}""");
        for (int i = 0; i < 2; i++)
            RecordJobRunner.Run(new LengthJob(), new JobOptions { Input = input, Output = dir.File("out.jsonl"), Shard = Shard.Parse($"{i}/2"), Resume = true });
        JobMerge.Merge(dir.File("out.jsonl"));
        Assert.Equal(["""{"id":"a","chars":4}""", """{"id":"b","chars":6}"""], File.ReadAllLines(dir.File("out.jsonl")));
    }

    [Fact]
    public void ShardsSplitByIndexModN()
    {
        Assert.Equal(new Shard(2, 5), Shard.Parse("2/5"));
        Assert.True(new Shard(2, 5).Contains(7));
        Assert.False(new Shard(2, 5).Contains(8));
        Assert.Equal(3, new Shard(1, 4).RecordsOf(10));   // 1, 5, 9
        Assert.Equal(0, new Shard(3, 4).RecordsOf(3));
        foreach (var bad in new[] { "2/2", "-1/3", "a/b", "1", "1/0" }) Assert.Throws<ArgumentException>(() => Shard.Parse(bad));
        Assert.Equal(Path.Combine("out", "scored.shard-3-of-8.jsonl"), new Shard(3, 8).PathOf(Path.Combine("out", "scored.jsonl")));
    }
}
