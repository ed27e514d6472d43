using Microsoft.Extensions.AI;

namespace Engine.Methods.Synthesis.LongMT;

/// <summary>A module the agent called for a page and the item numbers it kept (null = all).</summary>
public sealed record ModuleCall(MemoryModule Module, IReadOnlyList<int>? Items);

/// <summary>Everything a page step sees: the page, its reference (sampling only), what memory offers, and the memory itself.</summary>
public sealed record PageContext(Page Page, IReadOnlyList<string> Lines, IReadOnlyList<string>? Reference,
    IReadOnlyList<(MemoryModule Module, IReadOnlyList<MemoryItem> Items)> Offer, DocumentMemory Memory, ulong Seed);

/// <summary>A finished page: its translation, the module calls, the selection conversation, problems, and (sampling) what the search found.</summary>
public sealed record PageOutcome(IReadOnlyList<string> Translation, IReadOnlyList<ModuleCall> Calls, IReadOnlyList<ChatMessage> Conversation,
    IReadOnlyList<string> Problems, PageSearchResult? Search = null);

/// <summary>How one page is done: the agent choosing modules, a fixed set of modules, or a search (sampling).</summary>
public interface IPageStep
{
    Task<PageOutcome> RunAsync(PageContext page, CancellationToken ct = default);
}

/// <summary>
/// The selection conversation of a page. Modules are offered in canonical order (summaries, pages, entities); calling
/// one means the earlier ones are passed over, so a page has at most three decisions and every sequence of calls is a
/// distinct set of modules. The first user turn shows the page and every offered module's items; later turns say what
/// was consulted and what is left.
/// </summary>
public sealed class SelectionDialogue
{
    private readonly LongMtPrompts _prompts;
    private readonly Languages _lang;
    private readonly IReadOnlyList<(MemoryModule Module, IReadOnlyList<MemoryItem> Items)> _offer;
    private readonly List<ModuleCall> _calls = [];

    public List<ChatMessage> Messages { get; }
    public IReadOnlyList<ModuleCall> Calls => _calls;

    public SelectionDialogue(LongMtPrompts prompts, Languages lang, IReadOnlyList<string> page, IReadOnlyList<(MemoryModule, IReadOnlyList<MemoryItem>)> offer)
    {
        _prompts = prompts; _lang = lang; _offer = offer;
        Messages = [new(ChatRole.System, prompts.SystemPrompt(lang)), new(ChatRole.User, prompts.SelectFirst(lang, page, offer))];
    }

    /// <summary>Modules that may be called now (after the last one called, in canonical order) with their item counts.</summary>
    public IReadOnlyDictionary<MemoryModule, int> Offered
    {
        get
        {
            var after = _calls.Count == 0 ? (MemoryModule?)null : _calls[^1].Module;
            return _offer.Where(o => after is null || o.Module > after).ToDictionary(o => o.Module, o => o.Items.Count);
        }
    }

    /// <summary>Record the agent's answer; when it called a module and others remain, the next user turn is added.</summary>
    public void Answer(string answer, SelectionAnswer parsed)
    {
        Messages.Add(new ChatMessage(ChatRole.Assistant, answer));
        if (parsed.IsEnd) return;
        _calls.Add(new ModuleCall(parsed.Module!.Value, parsed.Items));
        if (Offered.Count > 0) Messages.Add(new ChatMessage(ChatRole.User, _prompts.SelectNext(_lang, _calls.Select(c => c.Module).ToList(), Offered.Keys.Order())));
    }

    /// <summary>The memory the calls selected, for the translation prompt.</summary>
    public AuxContext Aux => Selected(_offer, _calls);

    public static AuxContext Selected(IReadOnlyList<(MemoryModule Module, IReadOnlyList<MemoryItem> Items)> offer, IReadOnlyList<ModuleCall> calls) =>
        new(offer.Where(o => calls.Any(c => c.Module == o.Module)).Select(o =>
        {
            var items = calls.First(c => c.Module == o.Module).Items;
            return (o.Module, items is null ? o.Items : (IReadOnlyList<MemoryItem>)items.Select(k => o.Items[k - 1]).ToList());
        }).ToList());
}

/// <summary>The LongMT agent: the model chooses modules (tolerant parsing; a bad answer ends the calls and is reported), then the page is translated with what it chose.</summary>
public sealed class AgentStep(IChatClient chat, LongMtPrompts prompts, LongMtOptions options, PageTranslator translator) : IPageStep
{
    public async Task<PageOutcome> RunAsync(PageContext page, CancellationToken ct = default)
    {
        var problems = new List<string>();
        var dialogue = new SelectionDialogue(prompts, options.Languages, page.Lines, page.Offer);
        for (int level = 0; page.Offer.Count > 0 && dialogue.Offered.Count > 0; level++)
        {
            int promptTokens = translator.Meter.CountMessages(dialogue.Messages);
            int room = translator.Meter.Context - promptTokens;
            if (room < 8)
            {
                problems.Add($"the selection conversation ({promptTokens} tokens) does not fit the context of {translator.Meter.Context}: no further module called");
                break;
            }
            var o = new ChatOptions
            {
                Temperature = (float)options.SelectionTemperature, MaxOutputTokens = Math.Min(options.SelectionMaxTokens, room),
                Seed = Seeds.ForChat(Seeds.Derive(page.Seed, 11, (ulong)level)),
            };
            string answer;
            try { answer = (await chat.GetResponseAsync(dialogue.Messages, o, ct).ConfigureAwait(false)).Text; }
            catch (ArgumentException e) when (!ct.IsCancellationRequested)
            {
                problems.Add($"the selection call was refused ({e.Message}): no further module called");
                break;
            }
            var parsed = SelectionParser.Parse(answer, dialogue.Offered);
            problems.AddRange(parsed.Problems);
            dialogue.Answer(answer, parsed);
            if (parsed.IsEnd) break;
        }
        var t = await translator.TranslateAsync(page.Lines, dialogue.Aux, Seeds.Derive(page.Seed, 12), ct).ConfigureAwait(false);
        return new PageOutcome(t.Lines, dialogue.Calls, dialogue.Messages, [.. problems, .. t.Problems]);
    }
}

/// <summary>A fixed set of modules with all their items, no selection call (no modules = the page-by-page baseline without memory).</summary>
public sealed class FixedStep(IReadOnlyList<MemoryModule> modules, PageTranslator translator) : IPageStep
{
    public async Task<PageOutcome> RunAsync(PageContext page, CancellationToken ct = default)
    {
        var calls = page.Offer.Where(o => modules.Contains(o.Module)).Select(o => new ModuleCall(o.Module, null)).ToList();
        var t = await translator.TranslateAsync(page.Lines, SelectionDialogue.Selected(page.Offer, calls), Seeds.Derive(page.Seed, 12), ct).ConfigureAwait(false);
        return new PageOutcome(t.Lines, calls, [], t.Problems);
    }
}

/// <summary>
/// The whole document in one call, as a baseline: no pages, no memory, no retries or halving. When the prompt does not
/// fit, the trailing sentences are left out of it (and of the translation) until it does; an answer with too few
/// sentences leaves the rest empty, one with too many is cut. Both are reported.
/// </summary>
public sealed class WholeDocumentStep(IChatClient chat, LongMtPrompts prompts, LongMtOptions options, IPromptMeter meter) : IPageStep
{
    public async Task<PageOutcome> RunAsync(PageContext page, CancellationToken ct = default)
    {
        var problems = new List<string>();
        var keep = Enumerable.Range(0, page.Lines.Count).Where(i => page.Lines[i].Length > 0).ToList();
        var result = Enumerable.Repeat("", page.Lines.Count).ToArray();
        int n = keep.Count;
        List<ChatMessage> Messages(int k) => [new(ChatRole.User, prompts.Translate(options.Languages, keep.Take(k).Select(i => page.Lines[i]).ToList(), AuxContext.None))];
        while (n > 0 && meter.CountMessages(Messages(n)) >= meter.Context - 1) n--;
        if (n < keep.Count) problems.Add($"the document's prompt does not fit the context of {meter.Context} tokens: only its first {n} of {keep.Count} sentences were sent");
        if (n > 0)
        {
            var messages = Messages(n);
            int promptTokens = meter.CountMessages(messages);
            var o = new ChatOptions
            {
                Temperature = (float)options.Temperature, MaxOutputTokens = Math.Max(1, Math.Min(options.MaxNewTokens, meter.Context - promptTokens)),
                Seed = Seeds.ForChat(Seeds.Derive(page.Seed, 12)),
            };
            var parsed = PageMarkup.Parse((await chat.GetResponseAsync(messages, o, ct).ConfigureAwait(false)).Text);
            if (parsed.Count != n) problems.Add($"the answer has {parsed.Count} sentences for {n} sent");
            for (int k = 0; k < Math.Min(n, parsed.Count); k++) result[keep[k]] = parsed[k];
        }
        return new PageOutcome(result, [], [], problems);
    }
}
