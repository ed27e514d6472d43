using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Synthesis.LongMT;
using Engine.Tests.TrainingData;
using Microsoft.Extensions.AI;

namespace Engine.Tests.LongMT;

/// <summary>The record job: a kill mid-document loses and duplicates no page; bad documents are reported.</summary>
public class ResumeTests
{
    private static readonly LongMtOptions Options = new()
    {
        SourceLanguage = "en", TargetLanguage = "de", PageTokens = 1000, MaxPageSentences = 2, MaxRetries = 1, Memory = MemoryWriterKind.Rules,
    };

    /// <summary>Calls view_pages whenever it is offered and not yet called, then END.</summary>
    private static string Select(IReadOnlyList<ChatMessage> m) =>
        m[^1].Text.Contains("view_pages |") && !m.Any(x => x.Role == ChatRole.Assistant && x.Text.Contains("view_pages")) ? "[Selection]\nview_pages" : "[Selection]\nEND";

    private static ScriptedChatClient Client(int? failAfter = null) => new() { Select = Select, FailAfter = failAfter };

    private static LongMtAgent Agent(IChatClient chat, LongMtOptions? o = null) =>
        new(chat, o ?? Options, LongMtPrompts.Default, new ApproxPromptMeter(4096), new HashedNgramEmbedder());

    private static string[] Docs() => Enumerable.Range(0, 3).Select(d =>
        new JsonObject { ["id"] = $"doc{d}", ["text"] = string.Join("\n", Enumerable.Range(0, 6).Select(i => $"Doc {d} Karo sentence {i} here.")) }.ToJsonString()).ToArray();

    private static List<(long Doc, int Page)> LoggedPages(string output) =>
        File.ReadLines(LongMtJob.PageLogFor(output)).Where(l => l.EndsWith('}'))
            .Select(l => JsonNode.Parse(l)!).Select(j => (j["doc"]!.GetValue<long>(), j["page"]!.GetValue<int>())).ToList();

    [Fact]
    public void AKillMidDocumentThenResumeLosesAndDuplicatesNoPage()
    {
        using var dir = new TempDir();
        var input = dir.Write("docs.jsonl", Docs());
        var whole = dir.File("whole.jsonl");
        var first = Client();
        LongMtJob.Run(Agent(first), "scripted", new JobOptions { Input = input, Output = whole });
        int perDoc = first.Calls / 3;

        // Killed in the middle of the second document.
        var crashed = dir.File("crashed.jsonl");
        Assert.Throws<IOException>(() => LongMtJob.Run(Agent(Client(failAfter: perDoc + perDoc / 2)), "scripted", new JobOptions { Input = input, Output = crashed }));
        Assert.Single(File.ReadAllLines(crashed));                                  // document 0 is in the output
        var logged = LoggedPages(crashed);
        int doc1Pages = logged.Count(p => p.Doc == 1);
        Assert.InRange(doc1Pages, 1, 2);                                            // ... and part of document 1 in the page log
        File.AppendAllText(LongMtJob.PageLogFor(crashed), "{\"doc\":1,\"id\":\"do");  // a torn last line

        var resumed = Client();
        var s = LongMtJob.Run(Agent(resumed), "scripted", new JobOptions { Input = input, Output = crashed, Resume = true });
        Assert.Equal(1, s.Resumed);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(crashed));        // nothing lost, nothing repeated, same text
        // The logged pages of document 1 were not translated again.
        var donePages = Enumerable.Range(0, doc1Pages).Select(p => $"Doc 1 Karo sentence {2 * p} here.").ToList();
        Assert.DoesNotContain(resumed.TranslatedFirstSentences, donePages.Contains);
        Assert.Contains($"Doc 1 Karo sentence {2 * doc1Pages} here.", resumed.TranslatedFirstSentences);
        // Every (document, page) is in the page log exactly once.
        var all = LoggedPages(crashed);
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 3).SelectMany(d => Enumerable.Range(0, 3).Select(p => ((long)d, p))).Order(), all.Order());
        var doc1 = JsonNode.Parse(File.ReadAllLines(crashed)[1])!;
        Assert.Equal(6, doc1["translation"]!.GetValue<string>().Split('\n').Length);
        Assert.Equal([0, 1, 2], doc1["pages"]!.AsArray().Select(p => p!["page"]!.GetValue<int>()));
    }

    [Fact]
    public void AResumeWithOtherOptionsIsRefusedNamingThem()
    {
        using var dir = new TempDir();
        var input = dir.Write("docs.jsonl", Docs());
        var output = dir.File("out.jsonl");
        Assert.Throws<IOException>(() => LongMtJob.Run(Agent(Client(failAfter: 3)), "scripted", new JobOptions { Input = input, Output = output }));
        var e = Assert.Throws<JobException>(() => LongMtJob.Run(Agent(Client(), Options with { Seed = 9 }), "scripted", new JobOptions { Input = input, Output = output, Resume = true }));
        Assert.Contains("seed", e.Message);
    }

    [Fact]
    public void AnEmptyDocumentIsABadRecordNamedByFileAndLine()
    {
        using var dir = new TempDir();
        var docs = Docs();
        var input = dir.Write("docs.jsonl", docs[0], """{"id": "empty", "text": ""}""", docs[1]);
        var e = Assert.Throws<RecordFormatException>(() => LongMtJob.Run(Agent(Client()), "scripted", new JobOptions { Input = input, Output = dir.File("a.jsonl") }));
        Assert.Contains("docs.jsonl:2", e.Message);
        Assert.Equal("text", e.Field);
        Assert.Single(File.ReadAllLines(dir.File("a.jsonl")));                      // the document before it is kept
        var s = LongMtJob.Run(Agent(Client()), "scripted", new JobOptions { Input = input, Output = dir.File("b.jsonl"), SkipBadRecords = true });
        Assert.Equal((2L, 1L), (s.Records, s.Skipped));
    }

    [Fact]
    public void ReferencesMustBeAlignedAndSamplingNeedsThem()
    {
        using var dir = new TempDir();
        var input = dir.Write("docs.jsonl", """{"id": "x", "text": "a\nb", "reference": "only one"}""");
        var e = Assert.Throws<RecordFormatException>(() => LongMtJob.Run(Agent(Client()), "scripted", new JobOptions { Input = input, Output = dir.File("o.jsonl") }));
        Assert.Equal("reference", e.Field);
        var noRef = dir.Write("noref.jsonl", """{"id": "x", "text": "a\nb"}""");
        var sampler = new LongMtAgent(Client(), Options, LongMtPrompts.Default, new ApproxPromptMeter(4096), new HashedNgramEmbedder(), new SearchOptions());
        var e2 = Assert.Throws<RecordFormatException>(() => LongMtJob.Run(sampler, "scripted", new JobOptions { Input = noRef, Output = dir.File("s.jsonl") }));
        Assert.Contains("reference", e2.Message);
    }
}
