using System.Text.Json.Nodes;
using Engine.Methods.Core.Jobs;
using Microsoft.Extensions.AI;

namespace Engine.Methods.Synthesis.LongMT;

/// <summary>A translated document: one line per source line, its pages, and every problem met (prefixed with the page).</summary>
public sealed record DocumentResult(string Id, IReadOnlyList<string> Translation, IReadOnlyList<PageRecord> Pages, IReadOnlyList<string> Problems)
{
    /// <summary>The output line: id, translation (one line per source line), per-page calls and problems, and (sampling) the pairs.</summary>
    public JsonObject ToJson()
    {
        var pairs = new JsonArray();
        foreach (var p in Pages)
            if (p.Search?["pairs"] is JsonArray ps)
                foreach (var pair in ps) pairs.Add(pair!.DeepClone());
        var o = new JsonObject
        {
            ["id"] = Id,
            ["translation"] = string.Join("\n", Translation),
            ["pages"] = new JsonArray(Pages.Select(p =>
            {
                var j = new JsonObject { ["page"] = p.Page, ["first"] = p.First, ["count"] = p.Count, ["calls"] = PageRecord.CallsJson(p.Calls) };
                if (p.Problems.Count > 0) j["problems"] = PageRecord.Strings(p.Problems);
                if (p.Search is { } s)
                    j["search"] = new JsonObject { ["baseline"] = s["baseline"]?.DeepClone(), ["score"] = s["score"]?.DeepClone(), ["evaluations"] = s["evaluations"]?.DeepClone(), ["tree"] = s["tree"]?.DeepClone() };
                return (JsonNode)j;
            }).ToArray()),
            ["problems"] = PageRecord.Strings(Problems),
        };
        if (Pages.Any(p => p.Search is not null)) o["pairs"] = pairs;
        return o;
    }
}

/// <summary>
/// The LongMT agent over a whole document: splits it into pages by token budget, and for each page asks the page step
/// (the agent's own module choices, a fixed set, the whole document, or a search) for a translation, then writes the
/// page into memory. Pages already done (from the page log) are replayed into memory without model calls, so a resumed
/// document continues at its first unfinished page. Works with any <see cref="IChatClient"/>.
/// </summary>
public sealed class LongMtAgent
{
    public LongMtOptions Options { get; }
    public LongMtPrompts Prompts { get; }
    public IPromptMeter Meter { get; }
    public ITextEmbedder Embedder { get; }
    public IMemoryWriter? Writer { get; }
    public PageTranslator Translator { get; }
    public IPageStep Step { get; }
    public SearchOptions? Search { get; }
    private readonly string _stepIdentity;

    /// <param name="search">Given: sample by search (documents need references); null: translate with <see cref="LongMtOptions.Policy"/>.</param>
    public LongMtAgent(IChatClient chat, LongMtOptions options, LongMtPrompts? prompts = null, IPromptMeter? meter = null, ITextEmbedder? embedder = null, SearchOptions? search = null)
    {
        options.Validate();
        search?.Validate();
        Options = options;
        Prompts = prompts ?? LongMtPrompts.Default;
        Meter = meter ?? PromptMeters.For(chat);
        Embedder = embedder ?? new HashedNgramEmbedder();
        Search = search;
        Translator = new PageTranslator(chat, Prompts, options, Meter);
        bool readsMemory = search is not null || options.Policy is ModulePolicy.Agent or ModulePolicy.All;
        Writer = !readsMemory ? null : options.Memory == MemoryWriterKind.Rules ? new RuleMemoryWriter(options.SummaryWords)
            : new ModelMemoryWriter(chat, Prompts, options.Languages, options.SummaryWords, options.MemoryTemperature);
        if (search is not null)
        {
            var strategy = ISearchStrategy.Create(search);
            Step = new SearchStep(strategy, search, Prompts, options, Translator);
            _stepIdentity = $"search:{strategy.Identity}:{search.RewardScale:R}:{search.SampleTemperature:R}:{search.MinVisits}:{search.MinGap:R}:{search.AllWorse}:{search.ChrfWordOrder}:{search.EntityWeight:R}";
        }
        else
        {
            Step = options.Policy switch
            {
                ModulePolicy.Agent => new AgentStep(chat, Prompts, options, Translator),
                ModulePolicy.NoMemory => new FixedStep([], Translator),
                ModulePolicy.All => new FixedStep(MemoryModules.All, Translator),
                ModulePolicy.WholeDocument => new WholeDocumentStep(chat, Prompts, options, Meter),
                _ => throw new ArgumentOutOfRangeException(nameof(options)),
            };
            _stepIdentity = "policy:" + options.Policy;
        }
    }

    /// <summary>Everything that changes the output, for job fingerprints (the model's identity is added by the caller).</summary>
    public void Describe(JobFingerprint f)
    {
        var o = Options;
        f.Add("languages", $"{o.SourceLanguage}->{o.TargetLanguage}");
        f.Add("step", _stepIdentity);
        f.Add("prompts", ContentDigest.OfText(string.Join("\u241E", LongMtPrompts.Sections.Select(s => Prompts[s]))));
        f.Add("pages", $"{o.PageTokens}:{o.MaxPageSentences}:{o.OutputRatio:R}:{Meter.Context}");
        f.Add("memory", $"{Writer?.Identity ?? "none"}:{Embedder.Identity}:{o.TopSummaries}:{o.TopPairs}:{o.MaxEntities}");
        f.Add("decoding", $"{o.Temperature:R}:{o.RetryTemperature:R}:{o.MaxRetries}:{o.SelectionTemperature:R}:{o.SelectionMaxTokens}:{o.MaxNewTokens}");
        f.Add("seed", (long)o.Seed);
    }

    /// <summary>The pages of a document (one page for the whole-document baseline).</summary>
    public List<Page> Pages(LongMtDocument doc) => Options.Policy == ModulePolicy.WholeDocument && Search is null
        ? (doc.Source.Count == 0 ? [] : [new Page(0, 0, doc.Source.Count)])
        : PageSplitter.Split(doc.Source, Meter.CountText, Options.PageTokens, Options.MaxPageSentences);

    /// <summary>Translate a document; <paramref name="done"/> are its pages from an earlier run, <paramref name="onPage"/> gets each new page as soon as it is finished.</summary>
    public async Task<DocumentResult> TranslateAsync(LongMtDocument doc, long index, IReadOnlyList<PageRecord>? done = null, Action<PageRecord>? onPage = null,
        Action<double>? progress = null, CancellationToken ct = default)
    {
        var pages = Pages(doc);
        if (pages.Count == 0) return new DocumentResult(doc.Id, [], [], ["empty document: nothing to translate"]);
        done ??= [];
        var memory = new DocumentMemory(Embedder, Options.TopSummaries, Options.TopPairs, Options.MaxEntities);
        var records = new List<PageRecord>();
        ulong docSeed = Seeds.Derive(Options.Seed, (ulong)index);
        foreach (var page in pages)
        {
            var lines = page.Of(doc.Source);
            PageRecord record;
            if (page.Index < done.Count)
            {
                record = done[page.Index];
                if (record.First != page.First || record.Count != page.Count)
                    throw new InvalidDataException($"the page log's page {page.Index} of {doc.Id} covers lines {record.First}+{record.Count}, this run's {page.First}+{page.Count}: it was made with another page split.");
            }
            else
            {
                var reference = doc.Reference is null ? null : page.Of(doc.Reference);
                var ctx = new PageContext(page, lines, reference, memory.Offer(lines), memory, Seeds.Derive(docSeed, (ulong)page.Index));
                var outcome = await Step.RunAsync(ctx, ct).ConfigureAwait(false);
                var update = Writer is null ? PageMemoryUpdate.None
                    : await Writer.WriteAsync(page.Index, lines, outcome.Translation, memory, ct).ConfigureAwait(false);
                record = new PageRecord(index, doc.Id, page.Index, page.First, page.Count, outcome.Translation, outcome.Calls, update, outcome.Problems,
                    outcome.Search is null ? null : PageRecord.SearchJson(outcome.Search));
                onPage?.Invoke(record);
            }
            memory.Apply(page.Index, lines, record.Translation, record.Memory);
            records.Add(record);
            progress?.Invoke(1.0 / pages.Count);
        }
        var translation = records.SelectMany(r => r.Translation).ToList();
        var problems = records.SelectMany(r => r.Problems.Select(p => $"page {r.Page + 1}: {p}")).ToList();
        return new DocumentResult(doc.Id, translation, records, problems);
    }
}
