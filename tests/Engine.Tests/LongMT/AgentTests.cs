using Engine.Methods.Synthesis.LongMT;
using Microsoft.Extensions.AI;

namespace Engine.Tests.LongMT;

/// <summary>The agent over whole documents with a scripted model: memory, module choices, bad input.</summary>
public class AgentTests
{
    private static readonly LongMtOptions Options = new()
    {
        SourceLanguage = "en", TargetLanguage = "de", PageTokens = 1000, MaxPageSentences = 2, MaxRetries = 1, Memory = MemoryWriterKind.Rules,
    };

    private static LongMtAgent Agent(IChatClient chat, LongMtOptions? o = null, int context = 4096) =>
        new(chat, o ?? Options, LongMtPrompts.Default, new ApproxPromptMeter(context), new HashedNgramEmbedder());

    private static LongMtDocument Doc(params string[] lines) => new("d", lines, null, null);

    [Fact]
    public async Task AnEmptyDocumentIsReportedNotACrash()
    {
        var chat = new ScriptedChatClient();
        var r = await Agent(chat).TranslateAsync(Doc(), 0);
        Assert.Empty(r.Translation);
        Assert.Empty(r.Pages);
        Assert.Contains("empty document", Assert.Single(r.Problems));
        Assert.Equal(0, chat.Calls);
    }

    [Fact]
    public async Task ASelectionNamingAModuleThatDoesNotExistIsReportedAndThePageStillTranslated()
    {
        var chat = new ScriptedChatClient { Select = _ => "[Selection]\nsearch_web" };
        var r = await Agent(chat).TranslateAsync(Doc("Karo sees the fox.", "The fox runs.", "Karo sleeps.", "Bel waits."), 0);
        Assert.Equal(["KARO SEES THE FOX.", "THE FOX RUNS.", "KARO SLEEPS.", "BEL WAITS."], r.Translation);
        Assert.Contains(r.Problems, p => p.StartsWith("page 2:") && p.Contains("does not exist") && p.Contains("search_web"));
        Assert.Empty(r.Pages[1].Calls);
    }

    [Fact]
    public async Task APageWithOneSentenceLongerThanTheContextIsHandled()
    {
        var chat = new ScriptedChatClient();
        var huge = string.Join(" ", Enumerable.Range(0, 700).Select(i => "word" + i)) + ".";
        var r = await Agent(chat, Options with { PageTokens = 50 }, context: 800).TranslateAsync(Doc("A short start.", huge, "An end."), 0);
        Assert.Equal(3, r.Translation.Count);
        Assert.Equal(huge.ToUpperInvariant(), r.Translation[1]);
        Assert.Contains(r.Problems, p => p.Contains("longer than the context"));
    }

    [Fact]
    public async Task TheAgentCallsWhatItChoosesAndTheTranslationPromptCarriesIt()
    {
        // The agent asks for the entity records whenever offered, and the scripted model translates names from them.
        var prompts = new List<string>();
        var chat = new ScriptedChatClient
        {
            Select = m => m[^1].Text.Contains("look_up_entities") && !m.Any(x => x.Role == ChatRole.Assistant && x.Text.Contains("look_up_entities"))
                ? "[Selection]\nlook_up_entities" : "[Selection]\nEND",
            TranslateSentence = s => s.Replace("Karo", "Karoa"),
        };
        var r = await Agent(chat).TranslateAsync(Doc("Karo sees the fox.", "The fox runs.", "Then Karo sleeps.", "The end."), 0);
        Assert.Equal([], r.Pages[0].Calls);                                   // nothing in memory yet
        Assert.Equal([MemoryModule.LookUpEntities], r.Pages[1].Calls.Select(c => c.Module));
        Assert.Contains(r.Pages[0].Memory.Entities, e => e.Source == "Karo" && e.Target == "Karoa");   // rule writer: co-occurrence
        Assert.Empty(r.Problems);
    }

    [Fact]
    public async Task MemoryOffersWhatEarlierPagesWrote()
    {
        var memory = new DocumentMemory(new HashedNgramEmbedder(), topSummaries: 1, topPairs: 2);
        var writer = new RuleMemoryWriter(summaryWords: 3);
        string[] p0 = ["Karo sees the fox.", "The bat is a beast."], t0 = ["Karoa fox sees.", "batx beast ta."];
        memory.Apply(0, p0, t0, await writer.WriteAsync(0, p0, t0, memory));
        string[] p1 = ["Bel sees the river.", "Bel likes the house."], t1 = ["Pela river sees.", "Pela house likes."];
        memory.Apply(1, p1, t1, await writer.WriteAsync(1, p1, t1, memory));
        var offer = memory.Offer(["The bat follows Karo."]);
        var byModule = offer.ToDictionary(o => o.Module, o => o.Items);
        // Two summaries, top 1 kept: the lead of page 0 ("Karo sees the") shares "Karo"/"the" with the page.
        Assert.Equal("Karo sees the", ((SummaryItem)Assert.Single(byModule[MemoryModule.ViewSummaries])).Text);
        // The two most similar pairs: both from page 0 (they share "bat"/"Karo").
        Assert.All(byModule[MemoryModule.ViewPages], i => Assert.Equal(0, ((PairItem)i).Page));
        Assert.Equal(2, byModule[MemoryModule.ViewPages].Count);
        // Only names on the page: Karo, not Bel.
        var e = (EntityItem)Assert.Single(byModule[MemoryModule.LookUpEntities]);
        Assert.Equal(("Karo", "Karoa"), (e.Name, e.Target));
        Assert.Contains(memory.Entities, x => x.Source == "Bel" && x.Target == "Pela");
    }

    [Fact]
    public async Task WholeDocumentModeCutsWhatDoesNotFitAndReportsIt()
    {
        var chat = new ScriptedChatClient();
        var lines = Enumerable.Range(0, 60).Select(i => $"This is sentence number {i} of the document.").ToArray();
        var r = await Agent(chat, Options with { Policy = ModulePolicy.WholeDocument }, context: 1200).TranslateAsync(Doc(lines), 0);
        Assert.Equal(60, r.Translation.Count);
        Assert.Equal(1, chat.Calls);
        int sent = chat.PageSizes.Single();
        Assert.InRange(sent, 1, 59);
        Assert.Equal(lines[0].ToUpperInvariant(), r.Translation[0]);
        Assert.Equal("", r.Translation[^1]);
        Assert.Contains(r.Problems, p => p.Contains("does not fit the context"));
    }
}
