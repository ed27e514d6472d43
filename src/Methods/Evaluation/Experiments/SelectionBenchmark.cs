using System.Diagnostics;
using Engine.Methods.Core.Progress;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Selection.CDT;
using Engine.Methods.Selection.SelectIT;
using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Models;

namespace Engine.Methods.Evaluation.Experiments;

/// <summary>
/// One arm on one seed: what it selected (size, clean share, capability coverage and balance by the ground-truth tags,
/// family mix) and how its student did: greedy exact-match accuracy, and held-out loss per family (token-mean
/// cross-entropy of the clean reference responses; its "domains" are the families), which still moves when accuracy
/// sits at the floor.
/// </summary>
public sealed record BenchmarkArm(string Arm, ulong Seed, int Selected, double CleanShare, double Coverage, double Balance, int Distinct,
    IReadOnlyDictionary<string, int> Families, IReadOnlyDictionary<string, int> SyllogismAnswers, EvalReport Eval, DomainLossReport Loss);

/// <summary>One seed: SelectIT's separation of clean from corrupted records, the pool's own metrics, the tagger's agreement with the truth on this pool, every arm.</summary>
public sealed record BenchmarkSeed(ulong Seed, int Budget, double SelectItAuc, CdtDatasetMetrics Pool, CdtTaggerAccuracy? PoolTagging, IReadOnlyList<BenchmarkArm> Arms);

public sealed record SelectionBenchmarkResult(SelectionBenchmarkOptions Options, CdtTaggerRecipe.Result? Tagger, IReadOnlyList<BenchmarkSeed> Seeds, TimeSpan Wall);

/// <summary>
/// The selection benchmark: one noisy multi-family pool, one budget, one student recipe, and six ways to choose the
/// student's data — random, all of it, SelectIT, CDT diversity, CDT specific (for the target family), and SelectIT
/// within CDT strata (the top SelectIT scores inside each tag combination, each combination keeping its share of the
/// pool). Methods never use each other; this experiment uses both, as the layering allows.
/// </summary>
public static class SelectionBenchmark
{
    public static SelectionBenchmarkResult Run(string work, SelectionBenchmarkOptions o, Action<string>? log = null)
    {
        o.Validate();
        var wall = Stopwatch.StartNew();
        Directory.CreateDirectory(work);
        var families = o.Families.Select(TaskRegistry.Get).ToList();
        var target = TaskRegistry.Get(o.Target);
        var tasks = families.Append(target).ToList();
        // The target gets its share of the pool: w_t / (Σw + w_t) = share.
        var weights = o.Weights.Append(o.TargetShare / (1 - o.TargetShare) * o.Weights.Sum()).ToList();

        CdtTaggerRecipe.Result? tagger = null;
        if (o.Tags == BenchmarkTagSource.Tagger)
        {
            var taggerTrain = TestbedGenerator.Generate(new TestbedOptions { Tasks = tasks, N = o.TaggerN, Seed = 10_000, Split = TestbedSplit.Train, Framings = true });
            var taggerTest = TestbedGenerator.Generate(new TestbedOptions { Tasks = tasks, N = o.TaggerEvalN, Seed = 10_001, Split = TestbedSplit.Test, Framings = true });
            tagger = CdtTaggerRecipe.Train(Path.Combine(work, "tagger"), CdtTaggerRecipe.FromTestbed(taggerTrain), CdtTaggerRecipe.FromTestbed(taggerTest), o.Tagger, log: log);
        }

        var seeds = new List<BenchmarkSeed>();
        foreach (var seed in o.Seeds)
        {
            seeds.Add(RunSeed(Path.Combine(work, $"seed-{seed}"), o, seed, tasks, weights, tagger, log));
        }
        return new SelectionBenchmarkResult(o, tagger, seeds, wall.Elapsed);
    }

    private static BenchmarkSeed RunSeed(string work, SelectionBenchmarkOptions o, ulong seed, IReadOnlyList<ITaskFamily> tasks, IReadOnlyList<double> weights,
        CdtTaggerRecipe.Result? tagger, Action<string>? log)
    {
        var clock = Stopwatch.StartNew();
        void Log(string m) => log?.Invoke($"[seed {seed} {clock.Elapsed:hh\\:mm\\:ss}] {m}");
        Directory.CreateDirectory(work);
        var pool = TestbedGenerator.Generate(new TestbedOptions { Tasks = tasks, Weights = weights, N = o.N, Noise = o.Noise, Seed = seed, Split = TestbedSplit.Train, Framings = true });
        var targetSet = TestbedGenerator.Generate(new TestbedOptions { Tasks = [tasks[^1]], N = o.TargetSetN, Seed = seed + 5000, Split = TestbedSplit.Train, Framings = true });
        int budget = (int)Math.Round(o.N * o.Ratio, MidpointRounding.AwayFromZero);
        var truth = pool.Select(Truth).ToArray();
        long denominator = CdtLabelSet.Default.CoverageDenominator;

        // Tags the CDT selectors see.
        CapabilityTags[] tags, targetTags;
        CdtTaggerAccuracy? poolTagging = null;
        if (tagger is not null)
        {
            tags = CdtTaggerRecipe.Tag(tagger.ModelDir, pool.Select(r => r.Prompt).ToArray(), o.Tagger.Style).Select(r => r.Tags).ToArray();
            targetTags = CdtTaggerRecipe.Tag(tagger.ModelDir, targetSet.Select(r => r.Prompt).ToArray(), o.Tagger.Style).Select(r => r.Tags).ToArray();
            poolTagging = CdtTaggerAccuracy.Compare(truth, tags);
            Log($"pool tagged: all three tags right on {poolTagging.All:P1}");
        }
        else
        {
            tags = truth;
            targetTags = targetSet.Select(Truth).ToArray();
        }

        // Base model (tokenizer on the pool's text and the rating inputs) and SelectIT's rating model.
        var judgeData = TestbedGenerator.Generate(new TestbedOptions { Tasks = tasks, Weights = weights, N = o.JudgeN, Noise = 0.5, Seed = seed + 1000, Split = TestbedSplit.Train, Framings = true });
        var prompts = RatingPrompts.Default.Take(5).ToArray();
        string Rating(TestbedRecord r, int p) => RatingPrompts.Build(prompts[p % prompts.Length], r.Prompt, r.Output);
        var baseDir = TestbedExperiment.MakeTinyModel(Path.Combine(work, "base"), TestbedExperiment.ChatText(pool).Concat(judgeData.Select((r, i) => Rating(r, i))), o.Size, seed);
        var trainOpts = new TrainerOptions { LearningRate = 3e-3, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.05, BatchSize = 16, Seed = seed, LogSteps = 100000 };
        double auc = double.NaN;
        double[]? scores = null;
        if (o.Arms.Any(a => a.StartsWith("selectit", StringComparison.Ordinal)))
        {
            var judgeDir = TrainJudge(baseDir, Path.Combine(work, "judge"), judgeData, Rating, trainOpts with { MaxSteps = o.JudgeSteps });
            var input = Path.Combine(work, "pool.jsonl");
            TestbedWriter.Write(pool, input, TestbedFormat.Alpaca, hideHidden: true);
            var runner = new SelectItRunner(new SelectItOptions { Models = [judgeDir], TopN = budget, BatchSize = 16 }, NullProgress.Instance);
            runner.Score(input, Path.Combine(work, "selectit"), overwrite: true);
            scores = runner.Merge(input, Path.Combine(work, "selectit"), Path.Combine(work, "selectit-selected.jsonl"), Path.Combine(work, "selectit-scores.jsonl")).Scores;
            auc = SelectionScoring.Evaluate(pool.Select((r, i) => (r.Id, scores[i])).ToDictionary(x => x.Id, x => x.Item2),
                pool.ToDictionary(r => r.Id, r => r.Meta!.Corrupted), keep: budget).Auc;
            Log($"SelectIT scored the pool: AUC {auc:F3}");
        }

        var selections = new Dictionary<string, int[]>();
        foreach (var arm in o.Arms)
            selections[arm] = arm switch
            {
                "random" => RandomSubset(pool.Count, budget, seed + 7),
                "full" => Enumerable.Range(0, pool.Count).ToArray(),
                "selectit" => SelectItScores.Select(scores!, budget),
                "cdt-diversity" => CdtSelection.Diversity(tags, budget, seed),
                "cdt-specific" => CdtSelection.Specific(tags, targetTags, budget, seed),
                "selectit-in-cdt-strata" => WithinStrata(scores!, tags.Select(t => t.Key).ToArray(), budget),
                _ => throw new ArgumentException(arm),
            };

        var eval = new EvalOptions { Tasks = tasks, N = o.EvalPerFamily * tasks.Count, Seed = seed + 99, MaxNewTokens = o.EvalMaxNewTokens, BatchSize = 32 };
        // Test-split items, round-robin over the families (the same number of each), plain framing; for the loss, grouped by family.
        var evalItems = TestbedGenerator.Generate(new TestbedOptions { Tasks = tasks, N = eval.N, Seed = eval.Seed, Split = TestbedSplit.Test });
        var lossItems = evalItems.Select(r => r with { Domain = r.Task }).ToList();
        var arms = new List<BenchmarkArm>();
        foreach (var (arm, picked) in selections)
        {
            var dir = Path.Combine(work, "student-" + arm);
            TestbedExperiment.Sft(baseDir, picked.Select(i => pool[i]).ToList(), dir, trainOpts with { MaxSteps = o.StudentSteps });
            var student = ModelBundle.Load(dir);
            var report = TestbedEvaluator.Evaluate(student, evalItems, eval);
            var loss = DomainLossEvaluator.Evaluate(student, lossItems, batchSize: 32);
            var m = CdtDatasetMetrics.Of(picked.Select(i => truth[i]).ToArray(), denominator);
            arms.Add(new BenchmarkArm(arm, seed, picked.Length, picked.Count(i => !pool[i].Meta!.Corrupted) / (double)picked.Length, m.Coverage, m.Balance, m.Distinct,
                Count(picked.Select(i => pool[i].Task)), Count(picked.Where(i => pool[i].Task == "syllogism").Select(i => pool[i].Answer!)), report, loss));
            Log($"{arm}: {picked.Length} records, {arms[^1].CleanShare:P1} clean, coverage {m.Coverage:P3}, balance {m.Balance:F2} bits → held-out {report.Accuracy:P1} [{report.Lo:P1}, {report.Hi:P1}], loss {loss.Average:F4}");
        }
        return new BenchmarkSeed(seed, budget, auc, CdtDatasetMetrics.Of(truth, denominator), poolTagging, arms);
    }

    private static CapabilityTags Truth(TestbedRecord r) => new(r.Tags.Cognition, r.Tags.Domain, r.Tags.Task);

    private static Dictionary<string, int> Count(IEnumerable<string> values) =>
        values.GroupBy(v => v, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public static int[] RandomSubset(int n, int count, ulong seed)
    {
        var order = Enumerable.Range(0, n).ToList();
        new TestbedRng(seed).Shuffle(order);
        return order.Take(count).ToArray();
    }

    /// <summary>
    /// SelectIT within CDT strata: each tag combination (untagged records form one more stratum) keeps its
    /// largest-remainder share of the budget, filled with its best SelectIT scores (ties to the larger index, as SelectIT breaks them).
    /// </summary>
    public static int[] WithinStrata(IReadOnlyList<double> scores, IReadOnlyList<CdtKey?> keys, int count)
    {
        var strata = Enumerable.Range(0, scores.Count).GroupBy(i => keys[i]?.ToString() ?? "").Select(g => g.ToList()).ToList();
        var quota = CdtSelection.LargestRemainder(strata.Select(s => (double)s.Count).ToArray(), Math.Min(count, scores.Count));
        return strata.SelectMany((s, j) => s.OrderByDescending(i => scores[i]).ThenByDescending(i => i).Take(quota[j])).ToArray();
    }

    /// <summary>SelectIT's rating model, as in the SelectIT experiment: the base model taught to answer the rating prompt with "5" for clean and "1" for corrupted responses.</summary>
    private static string TrainJudge(string baseDir, string judgeDir, IReadOnlyList<TestbedRecord> judgeData, Func<TestbedRecord, int, string> rating, TrainerOptions options)
    {
        var bundle = ModelBundle.Load(baseDir);
        var digit = RatingTokens.Resolve(bundle.Tokenizer, 5);
        var examples = judgeData.Select((r, i) =>
        {
            var ids = bundle.Tokenizer.Encode(rating(r, i), addSpecialTokens: true).Append(digit[r.Meta!.Corrupted ? 0 : 4]).ToArray();
            var labels = ids.Select((_, j) => j == ids.Length - 1 ? ids[j] : LabelMask.Ignore).ToArray();
            return new SftExample(ids, labels, Id: r.Id);
        }).ToList();
        new SftTrainer(new TrainableModel(bundle.Model, null, baseDir), examples, options with { OutputDir = judgeDir, PadTokenId = bundle.Tokenizer.PadTokenId ?? 0 }).Train();
        bundle.Tokenizer.Save(judgeDir);
        return judgeDir;
    }
}
