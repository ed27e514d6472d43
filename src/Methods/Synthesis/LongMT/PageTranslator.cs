using Microsoft.Extensions.AI;

namespace Engine.Methods.Synthesis.LongMT;

/// <summary>Selected memory for a page translation: each module's items, in canonical module order.</summary>
public sealed record AuxContext(IReadOnlyList<(MemoryModule Module, IReadOnlyList<MemoryItem> Items)> Sections)
{
    public static AuxContext None { get; } = new([]);
    public bool IsEmpty => Sections.All(s => s.Items.Count == 0);
}

/// <summary>A page's translation: one line per source line, the calls made, and what went wrong on the way.</summary>
public sealed record PageTranslation(IReadOnlyList<string> Lines, int Calls, IReadOnlyList<string> Problems);

/// <summary>One sampled translation (no retries): aligned lines, or null when the answer was not aligned or did not fit.</summary>
public sealed record TranslationSample(IReadOnlyList<string>? Lines, string Answer, string Prompt);

/// <summary>
/// Translates a page with the marked prompt and enforces alignment as Loong's inference does: an answer with another
/// number of sentences is retried (up to MaxRetries, sampled), then the page is halved and each half translated the same
/// way. Before calling, a page whose prompt and expected answer do not fit the context is halved at once; a single
/// sentence that does not fit is tried without memory, then cut into word pieces translated one by one. A sentence
/// that never aligns keeps the model's raw answer. Every such event is reported in <see cref="PageTranslation.Problems"/>;
/// nothing here throws for bad model output.
/// </summary>
public sealed class PageTranslator(IChatClient chat, LongMtPrompts prompts, LongMtOptions options, IPromptMeter meter)
{
    private readonly Languages _lang = options.Languages;

    public IPromptMeter Meter => meter;

    /// <summary>The translation of <paramref name="lines"/> (blank lines stay blank and are not sent).</summary>
    public async Task<PageTranslation> TranslateAsync(IReadOnlyList<string> lines, AuxContext aux, ulong seed, CancellationToken ct = default)
    {
        var keep = Enumerable.Range(0, lines.Count).Where(i => lines[i].Length > 0).ToList();
        var result = new string[lines.Count];
        Array.Fill(result, "");
        var problems = new List<string>();
        int calls = 0;
        if (keep.Count > 0)
        {
            var translated = await Translate(keep.Select(i => lines[i]).ToList(), aux, seed, problems, c => calls += c, ct).ConfigureAwait(false);
            for (int k = 0; k < keep.Count; k++) result[keep[k]] = translated[k];
        }
        return new PageTranslation(result, calls, problems);
    }

    /// <summary>One translation at <paramref name="temperature"/> without retries or splitting (what the search scores).</summary>
    public async Task<TranslationSample> SampleAsync(IReadOnlyList<string> lines, AuxContext aux, double temperature, ulong seed, CancellationToken ct = default)
    {
        var keep = Enumerable.Range(0, lines.Count).Where(i => lines[i].Length > 0).ToList();
        if (keep.Count < lines.Count)
        {
            var inner = await SampleAsync(keep.Select(i => lines[i]).ToList(), aux, temperature, seed, ct).ConfigureAwait(false);
            if (inner.Lines is null) return inner;
            var full = Enumerable.Repeat("", lines.Count).ToArray();
            for (int k = 0; k < keep.Count; k++) full[keep[k]] = inner.Lines[k];
            return inner with { Lines = full };
        }
        if (lines.Count == 0) return new TranslationSample([], "", "");
        var prompt = prompts.Translate(_lang, lines, aux);
        var messages = new List<ChatMessage> { new(ChatRole.User, prompt) };
        int promptTokens = meter.CountMessages(messages);
        if (promptTokens + Expected(lines) > meter.Context) return new TranslationSample(null, "", prompt);
        var answer = await Ask(messages, promptTokens, temperature, seed, ct).ConfigureAwait(false);
        if (answer is null) return new TranslationSample(null, "", prompt);
        var parsed = PageMarkup.Parse(answer);
        return new TranslationSample(PageMarkup.IsAligned(parsed, lines.Count) ? parsed : null, answer, prompt);
    }

    /// <summary>The tokens a translation of these lines is expected to need (source tokens × OutputRatio, plus markers).</summary>
    public int Expected(IReadOnlyList<string> lines) =>
        (int)Math.Ceiling(lines.Sum(l => meter.CountText(l)) * options.OutputRatio) + 8 * lines.Count;

    private async Task<List<string>> Translate(List<string> lines, AuxContext aux, ulong seed, List<string> problems, Action<int> count, CancellationToken ct)
    {
        var prompt = prompts.Translate(_lang, lines, aux);
        var messages = new List<ChatMessage> { new(ChatRole.User, prompt) };
        int promptTokens = meter.CountMessages(messages);
        bool fits = promptTokens + Expected(lines) <= meter.Context;
        if (fits)
        {
            string? last = null;
            for (int attempt = 0; attempt <= options.MaxRetries; attempt++)
            {
                double t = attempt == 0 ? options.Temperature : Math.Max(options.Temperature, options.RetryTemperature);
                var answer = await Ask(messages, promptTokens, t, Seeds.Derive(seed, (ulong)attempt), ct).ConfigureAwait(false);
                count(1);
                if (answer is null) { fits = false; break; } // the model refused the prompt as too long: treat as not fitting
                last = answer;
                var parsed = PageMarkup.Parse(answer);
                if (PageMarkup.IsAligned(parsed, lines.Count)) return parsed;
            }
            if (fits && lines.Count == 1)
            {
                problems.Add($"no aligned translation of \"{Short(lines[0])}\" after {options.MaxRetries + 1} attempts; kept the raw answer");
                return [Raw(last ?? "")];
            }
            if (fits) problems.Add($"{lines.Count} sentences not aligned after {options.MaxRetries + 1} attempts: halved");
        }
        if (!fits && lines.Count > 1) problems.Add($"{lines.Count} sentences do not fit the context of {meter.Context} tokens: halved");
        if (lines.Count > 1)
        {
            int half = lines.Count / 2;
            var first = await Translate(lines[..half], aux, Seeds.Derive(seed, 101), problems, count, ct).ConfigureAwait(false);
            var second = await Translate(lines[half..], aux, Seeds.Derive(seed, 102), problems, count, ct).ConfigureAwait(false);
            return [.. first, .. second];
        }
        // One sentence that does not fit: first without memory, then in word pieces.
        if (!aux.IsEmpty)
        {
            problems.Add($"\"{Short(lines[0])}\" does not fit the context with memory: translated without it");
            return await Translate(lines, AuxContext.None, seed, problems, count, ct).ConfigureAwait(false);
        }
        var pieces = Pieces(lines[0]);
        problems.Add($"a sentence of {meter.CountText(lines[0])} tokens is longer than the context of {meter.Context} tokens: translated in {pieces.Count} pieces");
        var parts = new List<string>();
        for (int k = 0; k < pieces.Count; k++)
            parts.AddRange(await TranslatePiece(pieces[k], Seeds.Derive(seed, 200 + (ulong)k), problems, count, ct).ConfigureAwait(false));
        return [string.Join(" ", parts.Where(p => p.Length > 0))];
    }

    /// <summary>A piece of an over-long sentence: translated if it fits, else kept untranslated (reported).</summary>
    private async Task<List<string>> TranslatePiece(string piece, ulong seed, List<string> problems, Action<int> count, CancellationToken ct)
    {
        var messages = new List<ChatMessage> { new(ChatRole.User, prompts.Translate(_lang, [piece], AuxContext.None)) };
        int promptTokens = meter.CountMessages(messages);
        if (promptTokens + Expected([piece]) > meter.Context)
        {
            problems.Add($"a piece of {meter.CountText(piece)} tokens still does not fit: left untranslated");
            return [piece];
        }
        string? last = null;
        for (int attempt = 0; attempt <= options.MaxRetries; attempt++)
        {
            double t = attempt == 0 ? options.Temperature : Math.Max(options.Temperature, options.RetryTemperature);
            last = await Ask(messages, promptTokens, t, Seeds.Derive(seed, (ulong)attempt), ct).ConfigureAwait(false);
            count(1);
            if (last is null) break;
            var parsed = PageMarkup.Parse(last);
            if (parsed.Count == 1) return parsed;
        }
        return [Raw(last ?? "")];
    }

    /// <summary>Word pieces of a sentence, each small enough that its prompt and answer fit (by the meter's count).</summary>
    private List<string> Pieces(string sentence)
    {
        int overhead = meter.CountMessages([new ChatMessage(ChatRole.User, prompts.Translate(_lang, ["x"], AuxContext.None))]);
        int budget = Math.Max(1, (int)((meter.Context - overhead - 16) / (1 + options.OutputRatio)));
        var pieces = new List<string>();
        var current = new List<string>();
        foreach (var w in sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (current.Count > 0 && meter.CountText(string.Join(" ", current.Append(w))) > budget)
            {
                pieces.Add(string.Join(" ", current));
                current.Clear();
            }
            current.Add(w);
        }
        if (current.Count > 0) pieces.Add(string.Join(" ", current));
        return pieces;
    }

    /// <summary>The answer, or null when a local model refuses the prompt as longer than its context.</summary>
    private async Task<string?> Ask(List<ChatMessage> messages, int promptTokens, double temperature, ulong seed, CancellationToken ct)
    {
        var o = new ChatOptions
        {
            Temperature = (float)temperature,
            MaxOutputTokens = Math.Max(1, Math.Min(options.MaxNewTokens, meter.Context - promptTokens)),
            Seed = Seeds.ForChat(seed),
        };
        try { return (await chat.GetResponseAsync(messages, o, ct).ConfigureAwait(false)).Text; }
        catch (ArgumentException) when (!ct.IsCancellationRequested) { return null; }
    }

    /// <summary>A raw answer as one sentence: its first non-empty line without markers.</summary>
    private static string Raw(string answer)
    {
        var line = answer.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        line = System.Text.RegularExpressions.Regex.Replace(line, @"^#?\d+\s*", "");
        return line.Replace("<s>", "").Replace("</s>", "").Trim();
    }

    private static string Short(string s) => s.Length > 40 ? s[..37] + "..." : s;
}
