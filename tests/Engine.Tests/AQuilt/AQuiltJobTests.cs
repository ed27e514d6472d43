using System.Text.Json.Nodes;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Synthesis.AQuilt;
using Engine.Tests.TrainingData;

namespace Engine.Tests.AQuilt;

/// <summary>
/// A writer without a model: each completion is a pure function of (prompt, row), like a seeded sampler; a third of
/// the rows write text that does not parse (so the bounded retry is exercised). It can be told to crash after some calls.
/// </summary>
internal sealed class ScriptedCompleter(int? crashAfterCalls = null, int? context = null) : ICompleter
{
    public int Calls { get; private set; }
    public int Requests { get; private set; }
    public int? Context => context;
    public void Describe(JobFingerprint f) => f.Add("writer", "scripted");
    public int CountTokens(string prompt) => prompt.Length;   // one token per character

    public IReadOnlyList<string> Complete(IReadOnlyList<CompletionRequest> requests, CompletionSettings settings, Action<int, long>? done = null)
    {
        if (++Calls > crashAfterCalls) throw new IOException("killed");
        Requests += requests.Count;
        var texts = requests.Select(r => Write(r.Prompt, r.Row)).ToList();
        done?.Invoke(texts.Count, texts.Count);
        return texts;
    }

    public static string Write(string prompt, ulong row)
    {
        ulong h = 14695981039346656037UL ^ row;
        foreach (var c in prompt) h = (h ^ c) * 1099511628211UL;
        if (h % 3 == 0) return "I would rather not.";
        if (prompt.Contains("<qa_pair begin>", StringComparison.Ordinal)) return $"```json\n{{\"analysis_steps\": \"row {row}\", \"score\": {1 + (int)(h % 5)}}}\n```";
        return $"orbit of {h % 1000}?\", \"thinking_steps\": \"row {row}\", \"answer\": \"v{h % 7}\"}}\n```";
    }
}

/// <summary>Synthesis and inspection on the record-job contract: resume after a kill, shards, retries, truncation, task types.</summary>
public class AQuiltJobTests
{
    private static readonly AQuiltTask[] Tasks = [AQuiltTaskTypes.Parse("extractive question answering"), AQuiltTaskTypes.Parse("闭卷问答")];

    private static AQuiltSynthesisOptions Options => new() { Tasks = Tasks, TaskPrefix = "What is the ", NumSamples = 2, MaxAttempts = 3, Seed = 5 };

    private static string Passages(TempDir dir, int n) =>
        dir.Write("passages.jsonl", Enumerable.Range(0, n).Select(i => $$"""{"id": "p{{i}}", "text": "The tail of comet C{{i}} is long. The orbit of C{{i}} is wide."}""").ToArray());

    private static JobOptions Job(string input, string output) => new() { Input = input, Output = output, ChunkSize = 2 };

    [Fact]
    public void SynthesisKilledMidwayResumesToTheSameBytesWithoutDuplicates()
    {
        using var dir = new TempDir();
        var input = Passages(dir, 9);
        var whole = dir.File("whole.jsonl");
        var first = new ScriptedCompleter();
        RecordJobRunner.Run(new SynthesisJob(first, Options), Job(input, whole));
        var wholeLines = File.ReadAllLines(whole);
        Assert.Equal(9 * 2 * 2, wholeLines.Length);                     // passages × task types × samples
        var parsed = wholeLines.Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Contains(parsed, l => l["attempts"]!.GetValue<int>() > 1 && l["qa_pair"] is JsonObject);   // a retry that succeeded
        Assert.All(parsed.Where(l => l["qa_pair"] is JsonObject), l => Assert.StartsWith("What is the orbit of ", l["qa_pair"]!["question"]!.GetValue<string>()));
        Assert.Equal(new[] {"extractive question answering", "闭卷问答"}, parsed.Take(4).Select(l => l["task_type"]!.GetValue<string>()).Distinct());

        // Killed on its 4th model call (chunks of 2 passages, up to 3 attempts each): some chunks written, then a torn line.
        var killed = dir.File("killed.jsonl");
        Assert.Throws<IOException>(() => RecordJobRunner.Run(new SynthesisJob(new ScriptedCompleter(crashAfterCalls: 4), Options), Job(input, killed)));
        var partial = File.ReadAllLines(killed);
        Assert.InRange(partial.Length, 8, wholeLines.Length - 1);
        File.WriteAllText(killed, string.Concat(partial[..^1].Select(l => l + "\n")) + partial[^1][..(partial[^1].Length / 2)]);

        // Without --resume the partial output is refused and left alone; with it, the run finishes exactly as one whole run.
        Assert.Throws<JobException>(() => RecordJobRunner.Run(new SynthesisJob(new ScriptedCompleter(), Options), Job(input, killed)));
        var resumer = new ScriptedCompleter();
        var s = RecordJobRunner.Run(new SynthesisJob(resumer, Options), Job(input, killed) with { Resume = true });
        Assert.True(s.Resumed > 0);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(killed));
        var keys = File.ReadAllLines(killed).Select(l => JsonNode.Parse(l)!).Select(l => (l["id"]!.GetValue<string>(), l["task_type"]!.GetValue<string>(), l["sample_index"]!.GetValue<int>())).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.True(resumer.Requests < first.Requests);                    // the written records were not asked again

        // Inspection of the same output, killed and resumed, likewise.
        var inspected = dir.File("inspected.jsonl");
        RecordJobRunner.Run(new InspectionJob(new ScriptedCompleter(), new AQuiltInspectionOptions { MaxAttempts = 2 }), Job(whole, inspected));
        var inspectedKilled = dir.File("inspected-killed.jsonl");
        Assert.Throws<IOException>(() => RecordJobRunner.Run(new InspectionJob(new ScriptedCompleter(crashAfterCalls: 3), new AQuiltInspectionOptions { MaxAttempts = 2 }), Job(whole, inspectedKilled)));
        RecordJobRunner.Run(new InspectionJob(new ScriptedCompleter(), new AQuiltInspectionOptions { MaxAttempts = 2 }), Job(whole, inspectedKilled) with { Resume = true });
        Assert.Equal(File.ReadAllBytes(inspected), File.ReadAllBytes(inspectedKilled));
        var rows = File.ReadAllLines(inspected).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.All(rows.Where(r => r["qa_pair"] is null), r => Assert.Null(r["score"]));
        Assert.Contains(rows, r => r["score"] is not null);
    }

    [Fact]
    public void ShardsMergedEqualTheWholeRun()
    {
        using var dir = new TempDir();
        var input = Passages(dir, 7);
        var whole = dir.File("whole.jsonl");
        RecordJobRunner.Run(new SynthesisJob(new ScriptedCompleter(), Options), Job(input, whole));
        var sharded = dir.File("sharded.jsonl");
        for (int i = 0; i < 3; i++) RecordJobRunner.Run(new SynthesisJob(new ScriptedCompleter(), Options), Job(input, sharded) with { Shard = new Shard(i, 3), ChunkSize = 1 + i });
        JobMerge.Merge(sharded);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(sharded));
    }

    [Fact]
    public void ASampleThatNeverParsesIsWrittenWithItsReasonAndRawText()
    {
        using var dir = new TempDir();
        var input = Passages(dir, 12);
        var output = dir.File("out.jsonl");
        RecordJobRunner.Run(new SynthesisJob(new ScriptedCompleter(), Options with { MaxAttempts = 1, NumSamples = 1 }), Job(input, output));
        var failed = File.ReadAllLines(output).Select(l => JsonNode.Parse(l)!).Where(l => l["qa_pair"] is null).ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, f =>
        {
            Assert.Equal("I would rather not.", f["raw"]!.GetValue<string>());
            // With prefix forcing the forced opening + text is read first: an object with only the question.
            Assert.StartsWith("missing key 'thinking_steps'", f["error"]!.GetValue<string>());
            Assert.Equal(1, f["attempts"]!.GetValue<int>());
        });
        var summary = AQuiltSummary.Read(output);
        Assert.Equal(24, summary.Samples);
        Assert.Equal(failed.Count, summary.Samples - summary.Parsed);
    }

    [Fact]
    public void APassageTooLongForTheContextIsCutAndReportedNotAnError()
    {
        using var dir = new TempDir();
        var longText = string.Concat(Enumerable.Repeat("The tail of comet Zed is long. ", 200));
        var input = dir.Write("in.jsonl", """{"id": "short", "text": "The tail of Adok is long."}""", $$"""{"id": "long", "text": "{{longText}}"}""");
        var output = dir.File("out.jsonl");
        var o = Options with { Tasks = [Tasks[0]], NumSamples = 1, MaxNewTokens = 100 };
        var completer = new ScriptedCompleter(context: 1500);   // a token per character
        var job = new SynthesisJob(completer, o);
        RecordJobRunner.Run(job, Job(input, output));
        var lines = File.ReadAllLines(output).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.False(lines[0]["truncated"]!.GetValue<bool>());
        Assert.True(lines[1]["truncated"]!.GetValue<bool>());
        Assert.Equal(longText.Length, lines[1]["original_chars"]!.GetValue<int>());
        var cut = lines[1]["text"]!.GetValue<string>();
        Assert.StartsWith(cut, longText, StringComparison.Ordinal);
        // The longest head that fits: its prompt fits, one more character would not.
        Assert.True(job.Prompt(Tasks[0], cut).Length + 100 <= 1500);
        Assert.True(job.Prompt(Tasks[0], longText[..(cut.Length + 1)]).Length + 100 > 1500);
        Assert.Equal(1, AQuiltSummary.Read(output).Truncated);

        // --max-passage-chars cuts first, whatever the context.
        RecordJobRunner.Run(new SynthesisJob(new ScriptedCompleter(), o with { MaxPassageChars = 10 }), Job(input, output) with { Overwrite = true });
        Assert.Equal("The tail o", JsonNode.Parse(File.ReadAllLines(output)[1])!["text"]!.GetValue<string>());

        // A prompt that cannot fit even with no passage is refused before any work, saying what to change.
        var e = Assert.Throws<ArgumentException>(() => new SynthesisJob(new ScriptedCompleter(context: 500), o));
        Assert.Contains("--max-new-tokens", e.Message);
    }

    [Fact]
    public void AnUnknownTaskTypeListsTheValidOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => AQuiltTaskTypes.ParseList("extractive question answering, open book qa"));
        Assert.Contains("'open book qa'", e.Message);
        Assert.All(AQuiltTaskTypes.All, t => Assert.Contains(t.Key, e.Message));
        Assert.Equal(10, AQuiltTaskTypes.All.Count);
        // Names are forgiving about case and separators, and the language follows the name.
        Assert.Equal(AQuiltTaskTypes.English, AQuiltTaskTypes.Parse("Text-Classification").Language);
        Assert.Equal(AQuiltTaskTypes.Chinese, AQuiltTaskTypes.Parse("文本分类").Language);
        Assert.Throws<ArgumentException>(() => AQuiltTaskTypes.ParseList("text classification,text-classification"));
    }

    [Fact]
    public void EveryTaskTypeHasEnglishAndChinesePrompts()
    {
        var p = AQuiltPrompts.Default;
        foreach (var t in AQuiltTaskTypes.All)
        {
            var en = p.Generation(AQuiltTaskTypes.Parse(t.Key), "PASSAGE");
            var zh = p.Generation(AQuiltTaskTypes.Parse(t.ChineseKey), "PASSAGE");
            Assert.Contains("PASSAGE", en);
            Assert.Contains("\"thinking_steps\"", en);
            Assert.DoesNotContain(en, c => RougeL.IsCjk(c));
            Assert.True(zh.Count(RougeL.IsCjk) > 20, zh);
            Assert.NotEqual(en, p.Generation(AQuiltTaskTypes.Parse(AQuiltTaskTypes.All.First(o => o != t).Key), "PASSAGE"));
        }
        // A passage that itself contains a placeholder is inserted as it is.
        Assert.Contains("{qa_pair} in text", p.Inspection("{qa_pair} in text", new QaPair("Q", "T", "A")));
    }
}
