using Microsoft.Extensions.AI;

namespace Engine.Methods.Synthesis.LongMT;

/// <summary>A preference pair in the standard conversational form: shared prompt turns, the chosen and the rejected next answer.</summary>
public sealed record PreferencePair(string Kind, int Level, IReadOnlyList<ChatMessage> Prompt, string Chosen, string Rejected,
    double ChosenScore, double RejectedScore, int ChosenVisits, int RejectedVisits);

/// <summary>What the search found for a page: the baseline score (no memory), the chosen path's modules and best score, the evaluations spent, the tree, and the pairs.</summary>
public sealed record PageSearchResult(double Baseline, IReadOnlyList<MemoryModule> Modules, double Score, int Evaluations,
    IReadOnlyList<string> Tree, IReadOnlyList<PreferencePair> Pairs, IReadOnlyList<ChatMessage> Trajectory);

/// <summary>
/// A page done by search (<c>longmt sample</c>): every set of modules is scored by translating the page with that
/// memory and comparing it with the reference (<see cref="LongMtScores.PageReward"/>: chrF(++) mixed with the names'
/// agreement with the entity memory), normalised against the translation without memory. The strategy (MCTS or
/// greedy) grows the tree; the page's translation is the best sample of the chosen path's memory (as Loong updates
/// memory with the best leaf); per-level best/worst siblings become module-choice pairs, and the best and worst
/// samples of the chosen memory a translation pair.
/// </summary>
public sealed class SearchStep(ISearchStrategy strategy, SearchOptions search, LongMtPrompts prompts, LongMtOptions options, PageTranslator translator) : IPageStep
{
    private sealed record Scored(IReadOnlyList<string>? Lines, string Answer, string Prompt, double Score);

    public async Task<PageOutcome> RunAsync(PageContext page, CancellationToken ct = default)
    {
        var reference = page.Reference ?? throw new InvalidOperationException("search needs the page's reference translation");
        var records = page.Memory.Entities.Select(e => new EntityGloss(e.Source, e.Target)).ToList();
        double Score(IReadOnlyList<string> hyp) => LongMtScores.PageReward(
            ChrF.Corpus(hyp, reference, search.ChrfWordOrder), LongMtScores.EntityAgreement(page.Lines, hyp, records), search.EntityWeight);

        var baseline = await translator.TranslateAsync(page.Lines, AuxContext.None, Seeds.Derive(page.Seed, 12), ct).ConfigureAwait(false);
        double baseScore = Score(baseline.Lines);
        var offered = page.Offer.Select(o => o.Module).ToList();
        var problems = baseline.Problems.ToList();
        if (offered.Count == 0)
            return new PageOutcome(baseline.Lines, [], [], problems, new PageSearchResult(baseScore, [], baseScore, 0, [], [], []));

        var samples = new Dictionary<(string, int), Scored>();
        int evaluations = 0;
        async Task<double> Evaluate(IReadOnlyList<MemoryModule> modules, int k, CancellationToken token)
        {
            var key = (string.Join(",", modules), k);
            if (!samples.TryGetValue(key, out var s))
            {
                var aux = SelectionDialogue.Selected(page.Offer, modules.Select(m => new ModuleCall(m, null)).ToList());
                ulong mask = modules.Aggregate(1UL, (a, m) => a | (2UL << (int)m));
                var t = await translator.SampleAsync(page.Lines, aux, search.SampleTemperature, Seeds.Derive(page.Seed, 21, mask, (ulong)k), token).ConfigureAwait(false);
                s = new Scored(t.Lines, t.Answer, t.Prompt, t.Lines is null ? double.NaN : Score(t.Lines));
                samples[key] = s;
                evaluations++;
            }
            return LongMtScores.Normalise(s.Score, baseScore, search.RewardScale);
        }

        var root = await strategy.SearchAsync(offered, Evaluate, ct).ConfigureAwait(false);
        var path = strategy.ChosenPath(root);
        var leaf = path[^1];
        var calls = leaf.Modules.Select(m => new ModuleCall(m, null)).ToList();
        var leafKey = string.Join(",", leaf.Modules);
        var leafSamples = samples.Where(kv => kv.Key.Item1 == leafKey && kv.Value.Lines is not null).OrderBy(kv => kv.Key.Item2).Select(kv => kv.Value).ToList();
        IReadOnlyList<string> translation;
        double score;
        if (leafSamples.Count > 0)
        {
            var best = leafSamples.OrderByDescending(s => s.Score).First();
            translation = best.Lines!;
            score = best.Score;
        }
        else
        {
            // No aligned sample of the chosen memory: translate it with alignment enforced.
            var t = await translator.TranslateAsync(page.Lines, SelectionDialogue.Selected(page.Offer, calls), Seeds.Derive(page.Seed, 13), ct).ConfigureAwait(false);
            translation = t.Lines;
            score = Score(t.Lines);
            problems.AddRange(t.Problems);
        }

        var trajectory = Replay(page, path.Skip(1));
        var pairs = new List<PreferencePair>();
        foreach (var p in PairExtractor.Extract(path, strategy.MinVisits, search.MinGap, search.AllWorse))
            pairs.Add(new PreferencePair("module", p.Level, Replay(page, path.Skip(1).Take(p.Level)), p.Chosen.Answer, p.Rejected.Answer,
                p.Chosen.Q, p.Rejected.Q, p.Chosen.Visits, p.Rejected.Visits));
        if (leafSamples.Count >= 2)
        {
            var best = leafSamples.OrderByDescending(s => s.Score).First();
            var worst = leafSamples.OrderBy(s => s.Score).First();
            if (best.Answer != worst.Answer && best.Score > worst.Score)
                pairs.Add(new PreferencePair("translation", path.Count - 1, [new ChatMessage(ChatRole.User, best.Prompt)], best.Answer, worst.Answer, best.Score, worst.Score, 1, 1));
        }
        var tree = Nodes(root).Where(n => !n.IsRoot && n.Visits > 0).Select(n => n.ToString()).ToList();
        return new PageOutcome(translation, calls, trajectory, problems, new PageSearchResult(baseScore, leaf.Modules, score, evaluations, tree, pairs, trajectory));
    }

    /// <summary>The selection conversation after taking <paramref name="steps"/>: it ends with the user turn of the next decision (or with the last answer at the end).</summary>
    private List<ChatMessage> Replay(PageContext page, IEnumerable<SearchNode> steps)
    {
        var d = new SelectionDialogue(prompts, options.Languages, page.Lines, page.Offer);
        foreach (var n in steps)
            d.Answer(n.Answer, new SelectionAnswer(n.Action, null, []));
        return d.Messages.ToList();
    }

    private static IEnumerable<SearchNode> Nodes(SearchNode n) => n.Children.SelectMany(Nodes).Prepend(n);
}
