using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Selection.CDT;
using Microsoft.Extensions.AI;

using Engine.Tests.TrainingData;

namespace Engine.Tests.Cdt;

/// <summary>Tagging as a record job through a scripted teacher: shards, resume, records with no text, garbage answers.</summary>
public class CdtTagJobTests
{
    /// <summary>
    /// A teacher that reads the instruction out of the prompt and answers like a loose small model: the right label in
    /// one of several messy forms chosen by the instruction, garbage for instructions containing "garbage", and an
    /// exception for one containing <see cref="FailOn"/>.
    /// </summary>
    private sealed class ScriptedTagger : IChatClient
    {
        public string? FailOn { get; init; }
        public bool AlwaysGarbage { get; init; }
        public List<string> Asked { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken ct = default)
        {
            var list = messages.ToList();
            var user = list.First(m => m.Role == ChatRole.User).Text;
            int at = user.IndexOf("[Instruction]\n", StringComparison.Ordinal) + "[Instruction]\n".Length;
            var instruction = user[at..user.IndexOf("\n\n", at, StringComparison.Ordinal)];
            lock (Asked) Asked.Add(instruction);
            if (FailOn is not null && instruction.Contains(FailOn, StringComparison.Ordinal)) throw new HttpRequestException("teacher unreachable");
            var system = list[0].Text;
            string answer = AlwaysGarbage || instruction.Contains("garbage", StringComparison.Ordinal) ? "As an AI model I like turtles."
                : system.Contains("skills", StringComparison.Ordinal) ? (instruction.Length % 2 == 0 ? "[{'skill': 'nm', 'explanation': 'adds'}, {'skill': 'RQ'}]" : "Mainly NM.")
                : system.Contains("domain", StringComparison.Ordinal) ? (instruction.Length % 3 == 0 ? "Sure! {\"domain\": \"mathematics\"}" : "\"Mathematics\"")
                : "{\"task\": \"Completion\", \"note\": \"easy\"}";
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)));
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken ct = default)
        {
            var r = await GetResponseAsync(messages, options, ct);
            yield return new ChatResponseUpdate(ChatRole.Assistant, r.Text);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;
        public void Dispose() { }
    }

    private static CdtTagOptions Options(int attempts = 1) => new() { TeacherIdentity = "scripted", Attempts = attempts, Concurrency = 6 };

    private static string[] Records(int n) => Enumerable.Range(0, n)
        .Select(i => new JsonObject { ["instruction"] = $"Add {i} and {i * 7}.", ["output"] = $"{i * 8}", ["id"] = $"r{i}" }.ToJsonString()).ToArray();

    private static JobOptions Opts(string input, string output) => new() { Input = input, Output = output, ChunkSize = 3 };

    [Fact]
    public void EveryRecordGetsCanonicalTagsAndItsFieldsBack()
    {
        using var dir = new TempDir();
        var input = dir.Write("in.jsonl", Records(7));
        var output = dir.File("out.jsonl");
        RecordJobRunner.Run(new CdtTagJob(new ScriptedTagger(), Options()), Opts(input, output));
        var lines = File.ReadAllLines(output).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(7, lines.Count);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"r{i}"), lines.Select(l => l["id"]!.GetValue<string>()));
        Assert.All(lines, l =>
        {
            Assert.Equal("Mathematics", l["tags"]!["domain"]![0]!.GetValue<string>());
            Assert.Equal("Completion", l["tags"]!["task"]![0]!.GetValue<string>());
            Assert.Equal("NM", l["tags"]!["cognition"]![0]!.GetValue<string>());
            Assert.Null(l["cdt"]);   // clean answers leave no report
        });
        var s = CdtTagSummary.Read(output);
        Assert.Equal((7, 7, 0), (s.Records, s.FullyTagged, s.NoText));
    }

    [Fact]
    public void ShardsMergedEqualTheWholeRun()
    {
        using var dir = new TempDir();
        var input = dir.Write("in.jsonl", Records(11));
        var whole = dir.File("whole.jsonl");
        RecordJobRunner.Run(new CdtTagJob(new ScriptedTagger(), Options()), Opts(input, whole));
        var sharded = dir.File("sharded.jsonl");
        for (int i = 0; i < 3; i++) RecordJobRunner.Run(new CdtTagJob(new ScriptedTagger(), Options()), Opts(input, sharded) with { Shard = new Shard(i, 3) });
        JobMerge.Merge(sharded);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(sharded));
    }

    [Fact]
    public void ACrashedRunResumesWithoutRedoingOrLosingRecords()
    {
        using var dir = new TempDir();
        var input = dir.Write("in.jsonl", Records(10));
        var whole = dir.File("whole.jsonl");
        RecordJobRunner.Run(new CdtTagJob(new ScriptedTagger(), Options()), Opts(input, whole));

        var crashed = dir.File("crashed.jsonl");
        Assert.ThrowsAny<Exception>(() => RecordJobRunner.Run(new CdtTagJob(new ScriptedTagger { FailOn = "Add 7 and" }, Options()), Opts(input, crashed)));
        Assert.Equal(6, File.ReadAllLines(crashed).Length);   // chunks 0-2 and 3-5 were written before record 7's chunk failed
        var teacher = new ScriptedTagger();
        var s = RecordJobRunner.Run(new CdtTagJob(teacher, Options()), Opts(input, crashed) with { Resume = true });
        Assert.Equal(6, s.Resumed);
        Assert.Equal(4 * 3, teacher.Asked.Count);              // records 6-9 only, three questions each
        Assert.DoesNotContain(teacher.Asked, a => a.StartsWith("Add 0 and", StringComparison.Ordinal));
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(crashed));

        // Another teacher or prompt style is another job: resume is refused, naming the difference.
        var e = Assert.Throws<JobException>(() => RecordJobRunner.Run(new CdtTagJob(new ScriptedTagger(), Options() with { Style = CdtPromptStyle.Compact }),
            Opts(input, crashed) with { Resume = true }));
        Assert.Contains("prompt_style", e.Message);
    }

    [Fact]
    public void ARecordWithNoTextAndAGarbageTeacherAreCountedAndReportedNeverACrash()
    {
        using var dir = new TempDir();
        var input = dir.Write("in.jsonl",
            """{"instruction": "Add 1 and 2.", "output": "3"}""",
            """{"input_ids": [5, 6, 7]}""",
            """{"instruction": "garbage please", "output": "?"}""",
            """{"instruction": "Add 2 and 2.", "output": "4"}""");
        var output = dir.File("out.jsonl");
        var teacher = new ScriptedTagger();
        RecordJobRunner.Run(new CdtTagJob(teacher, Options(attempts: 2)), Opts(input, output));
        var lines = File.ReadAllLines(output).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(4, lines.Count);
        Assert.Equal("no instruction text", lines[1]["cdt"]!["problem"]!.GetValue<string>());
        Assert.Empty(lines[1]["tags"]!["domain"]!.AsArray());
        Assert.Equal(["cognition", "domain", "task"], lines[2]["cdt"]!["no_label"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Empty(lines[2]["tags"]!["task"]!.AsArray());
        // With two attempts the garbage record is asked twice per dimension, the others once; the id-only record never.
        Assert.Equal(6, teacher.Asked.Count(a => a == "garbage please"));
        Assert.Equal(3 + 6 + 3, teacher.Asked.Count);

        var s = CdtTagSummary.Read(output);
        Assert.Equal((4, 2, 1), (s.Records, s.FullyTagged, s.NoText));
        Assert.Equal(1, s.NoLabel[CdtDimension.Domain]);
        Assert.Contains("2 tagged in all three dimensions", s.ToText());
        Assert.Contains("1 with no instruction text", s.ToText());
    }

    [Fact]
    public async Task UnknownLabelsAreWrittenIntoTheReportAndCounted()
    {
        var teacher = new FixedAnswer("{\"domain\": \"Quantum Gastronomy\"}");
        var result = await new CdtTagger(teacher, Options()).TagAsync(CdtDimension.Domain, "Cook a photon.");
        Assert.False(result.Parsed.HasLabel);
        Assert.Equal(["Quantum Gastronomy"], result.Parsed.Unknown);
        var full = await new CdtTagger(teacher, Options()).TagAsync("Cook a photon.");
        Assert.Equal("Quantum Gastronomy", full.Report()!["unknown"]!["domain"]![0]!.GetValue<string>());
    }

    private sealed class FixedAnswer(string answer) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken ct = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)));
        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken ct = default) => throw new NotSupportedException();
        public object? GetService(Type serviceType, object? serviceKey = null) => null;
        public void Dispose() { }
    }
}
