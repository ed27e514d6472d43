using Engine.Methods.Teachers;
using Microsoft.Extensions.AI;

namespace Engine.Methods.Synthesis.LongMT;

/// <summary>Writes a finished page into memory (Loong's Update_summaries / Update_records): its summary and its names' translations.</summary>
public interface IMemoryWriter
{
    /// <summary>What the writer is (kept in job fingerprints).</summary>
    string Identity { get; }
    Task<PageMemoryUpdate> WriteAsync(int page, IReadOnlyList<string> source, IReadOnlyList<string> target, DocumentMemory memory, CancellationToken ct = default);
}

/// <summary>
/// Loong's writers with the translating model itself: a summary of at most <c>words</c> words; the page's key names
/// (a comma list), and for each name not yet recorded its form in the page translation ("N/A" when absent). Names the
/// model lists that are not on the page are dropped; a name it reports as absent is recorded as kept unchanged only when
/// it appears verbatim in the translation.
/// </summary>
public sealed class ModelMemoryWriter(IChatClient chat, LongMtPrompts prompts, Languages lang, int summaryWords = 50, double temperature = 0, int maxTokens = 256) : IMemoryWriter
{
    public string Identity => $"model:{prompts.Name}:{summaryWords}:{temperature}:{maxTokens}";

    public async Task<PageMemoryUpdate> WriteAsync(int page, IReadOnlyList<string> source, IReadOnlyList<string> target, DocumentMemory memory, CancellationToken ct = default)
    {
        var srcText = string.Join(" ", source.Where(l => l.Length > 0));
        var tgtText = string.Join(" ", target.Where(l => l.Length > 0));
        if (srcText.Length == 0) return PageMemoryUpdate.None;
        var options = new ChatOptions { Temperature = (float)temperature, MaxOutputTokens = maxTokens, Seed = page };
        var summary = (await chat.AskAsync(prompts.Summary(lang, srcText, summaryWords), options: options, ct: ct).ConfigureAwait(false)).Trim();
        var listed = await chat.AskAsync(prompts.EntityExtract(lang, srcText), options: options, ct: ct).ConfigureAwait(false);
        var known = memory.Entities.Select(e => e.Source).ToHashSet(StringComparer.Ordinal);
        var entities = new List<EntityGloss>();
        foreach (var name in listed.Split([',', '，', '\n', ';'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                     .Select(n => n.Trim('"', '\'', '.', '*', ' ')).Where(n => n.Length > 0).Distinct())
        {
            if (!source.Any(l => TextMatch.ContainsWord(l, name))) continue; // not on the page: the model made it up
            if (known.Contains(name)) { entities.Add(new EntityGloss(name, name)); continue; } // seen again: Apply keeps the recorded translation
            var answer = (await chat.AskAsync(prompts.EntityTarget(lang, srcText, tgtText, name), options: options, ct: ct).ConfigureAwait(false))
                .Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim('"', '\'', '.', ' ') ?? "";
            if (answer is "" or "N/A" or "n/a") { if (tgtText.Contains(name, StringComparison.Ordinal)) entities.Add(new EntityGloss(name, name)); }
            else if (tgtText.Contains(answer, StringComparison.Ordinal)) entities.Add(new EntityGloss(name, answer));
        }
        return new PageMemoryUpdate(summary.Length == 0 ? null : summary, entities);
    }
}

/// <summary>
/// Writers without model calls, for models too small to summarise or extract (the testbed's tiny models) and as a cheap
/// baseline: the summary is the page's first <c>words</c> words (a lead summary); names are capitalised source words
/// whose lower-case form does not occur on the page ("The" is not a name, "Karo" is); a new name's translation is the
/// target word that co-occurs with it most consistently over every sentence pair so far (Dice coefficient of sentence
/// co-occurrence, at least 0.5), among capitalised target words when the target language writes names capitalised.
/// </summary>
public sealed class RuleMemoryWriter(int summaryWords = 50) : IMemoryWriter
{
    public string Identity => $"rules:{summaryWords}";

    public Task<PageMemoryUpdate> WriteAsync(int page, IReadOnlyList<string> source, IReadOnlyList<string> target, DocumentMemory memory, CancellationToken ct = default)
    {
        var words = source.SelectMany(TextMatch.Words).ToList();
        var leadWords = string.Join(" ", source.Where(l => l.Length > 0)).Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(summaryWords).ToList();
        string? summary = leadWords.Count == 0 ? null : string.Join(" ", leadWords);
        var lower = words.Where(w => !char.IsUpper(w[0])).ToHashSet(StringComparer.Ordinal);
        var names = words.Where(w => char.IsUpper(w[0]) && !lower.Contains(w.ToLowerInvariant())).Distinct().ToList();
        var known = memory.Entities.ToDictionary(e => e.Source, e => e.Target, StringComparer.Ordinal);
        // Sentence pairs so far plus this page's, as word sets.
        var pairs = memory.Pairs.Concat(source.Zip(target)).Where(p => p.Item1.Length > 0 && p.Item2.Length > 0)
            .Select(p => (Src: TextMatch.Words(p.Item1).ToHashSet(StringComparer.Ordinal), Tgt: TextMatch.Words(p.Item2).ToHashSet(StringComparer.Ordinal))).ToList();
        bool targetHasCase = pairs.Any(p => p.Tgt.Any(w => char.IsUpper(w[0])));
        var entities = new List<EntityGloss>();
        foreach (var name in names)
        {
            if (known.ContainsKey(name)) { entities.Add(new EntityGloss(name, known[name])); continue; }
            int nameCount = pairs.Count(p => p.Src.Contains(name));
            var candidates = pairs.Where(p => p.Src.Contains(name)).SelectMany(p => p.Tgt).Where(w => !targetHasCase || char.IsUpper(w[0])).Distinct();
            string? best = null;
            double bestScore = 0.5;
            foreach (var t in candidates.Order(StringComparer.Ordinal))
            {
                int both = pairs.Count(p => p.Src.Contains(name) && p.Tgt.Contains(t)), tCount = pairs.Count(p => p.Tgt.Contains(t));
                double dice = 2.0 * both / (nameCount + tCount);
                if (dice > bestScore || dice == bestScore && best is not null && EntityConsistency.Dice(t.ToLowerInvariant(), name.ToLowerInvariant()) > EntityConsistency.Dice(best.ToLowerInvariant(), name.ToLowerInvariant()))
                { best = t; bestScore = dice; }
            }
            if (best is not null) entities.Add(new EntityGloss(name, best));
        }
        return Task.FromResult(new PageMemoryUpdate(summary, entities));
    }
}
