using System.Text.Json.Nodes;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Synthesis.LongMT;
using Engine.Methods.Teachers;
using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Preference;
using Engine.Models;
using Engine.Models.Generation;
using Microsoft.Extensions.AI;

namespace Engine.Methods.Evaluation.Experiments;

public sealed record LongMtExperimentOptions
{
    /// <summary>Training documents of the scripted SFT data.</summary>
    public int TrainDocs { get; init; } = 40;
    /// <summary>Training documents (another seed) the search samples preference pairs on.</summary>
    public int SampleDocs { get; init; } = 16;
    /// <summary>Held-out (test-split) documents every arm translates.</summary>
    public int EvalDocs { get; init; } = 12;
    public int MinPages { get; init; } = 4;
    public int MaxPages { get; init; } = 6;
    public int SentencesPerPage { get; init; } = 4;
    public int SftSteps { get; init; } = 500;
    /// <summary>SFT batch size (DPO uses half of it).</summary>
    public int SftBatch { get; init; } = 16;
    public double SftLearningRate { get; init; } = 2e-3;
    public int DpoSteps { get; init; } = 150;
    public double DpoLearningRate { get; init; } = 2e-4;
    public double DpoBeta { get; init; } = 0.1;
    /// <summary>MCTS simulations per page while sampling.</summary>
    public int Simulations { get; init; } = 12;
    /// <summary>Longest page translation in tokens.</summary>
    public int MaxNewTokens { get; init; } = 400;
    public ulong Seed { get; init; } = 1;
    public TestbedExperiment.TinyModelSize Size { get; init; } = new(Hidden: 96, Layers: 3, Heads: 4, KvHeads: 2, Intermediate: 256, Vocab: 600, MaxPositions: 512);
}

/// <summary>One document's scores: chrF and chrF++ against the reference, entity consistency, the share of ambiguous terms in the right sense.</summary>
public sealed record LongMtDocScore(string Id, double ChrF, double ChrFpp, double? Consistency, double? TermAccuracy, int Problems, double ModulesPerPage);

/// <summary>An arm's documents and their means with 95% bootstrap intervals over documents.</summary>
public sealed record LongMtArm(string Name, IReadOnlyList<LongMtDocScore> Docs)
{
    public (double Mean, double Lo, double Hi) ChrF => LongMtTestbedExperiment.Interval(Docs.Select(d => d.ChrF).ToList());
    public (double Mean, double Lo, double Hi) Consistency => LongMtTestbedExperiment.Interval(Docs.Where(d => d.Consistency is not null).Select(d => d.Consistency!.Value).ToList());
    public (double Mean, double Lo, double Hi) Terms => LongMtTestbedExperiment.Interval(Docs.Where(d => d.TermAccuracy is not null).Select(d => d.TermAccuracy!.Value).ToList());
}

public sealed record LongMtExperimentResult(IReadOnlyList<LongMtArm> Arms, int ModulePairs, double WholeDocumentPromptTokens, int Context, double SampledPagesGain, TimeSpan Elapsed);

/// <summary>
/// LongMT on the long-document testbed, end to end, for one seed:
/// <list type="number">
/// <item>a tiny model learns page translation and the selection format from scripted conversations
/// (<see cref="LongMtScriptedData"/>: random module choices — the format, not the policy);</item>
/// <item>MCTS over module calls on other training documents (with references) gives per-level best/worst pairs;</item>
/// <item>DPO on those pairs;</item>
/// <item>held-out documents are translated four ways with the same model size and prompts: the whole document in one
/// call, page by page without memory, the agent choosing modules greedily (SFT model), and the agent after DPO (plus,
/// for reference, every module always). Scores: document chrF, entity consistency, and ambiguous terms in the right
/// sense, with bootstrap intervals over documents.</item>
/// </list>
/// Memory is written by <see cref="RuleMemoryWriter"/> throughout: a model this small cannot summarise or extract names.
/// </summary>
public static class LongMtTestbedExperiment
{
    public static readonly IReadOnlyList<string> ArmNames = ["whole document", "pages, no memory", "agent (SFT, greedy)", "agent (DPO on MCTS pairs)", "all modules (reference)"];

    public static LongMtExperimentResult Run(string work, LongMtExperimentOptions o, Action<string>? log = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Directory.CreateDirectory(work);
        LongDocOptions Docs(int n, ulong seed, TestbedSplit split) => new()
        {
            N = n, MinPages = o.MinPages, MaxPages = o.MaxPages, SentencesPerPage = o.SentencesPerPage, Seed = seed, Split = split,
        };
        var train = LongDocuments.Generate(Docs(o.TrainDocs, o.Seed, TestbedSplit.Train));
        var sampleDocs = LongDocuments.Generate(Docs(o.SampleDocs, o.Seed + 500, TestbedSplit.Train));
        var eval = LongDocuments.Generate(Docs(o.EvalDocs, o.Seed + 1000, TestbedSplit.Test));
        var prompts = LongMtPrompts.Compact;
        var agentOptions = new LongMtOptions
        {
            SourceLanguage = "en", TargetLanguage = "glosh", PageTokens = 100_000, MaxPageSentences = o.SentencesPerPage,
            Memory = MemoryWriterKind.Rules, MaxRetries = 2, SelectionMaxTokens = 16, MaxNewTokens = o.MaxNewTokens, Seed = o.Seed,
        };

        // 1. Scripted SFT data, tokenizer, base model, SFT.
        var scripted = LongMtScriptedData.Build(train, agentOptions, prompts, o.Seed);
        var sftData = Path.Combine(work, "scripted.jsonl");
        WriteJsonl(sftData, scripted);
        var baseDir = TestbedExperiment.MakeTinyModel(Path.Combine(work, "base"), LongMtScriptedData.ChatText(scripted), o.Size, o.Seed, maxNewTokens: o.MaxNewTokens);
        var sftDir = Path.Combine(work, "sft");
        var sft = Train(baseDir, sftDir, b => () => new SftTrainer(new TrainableModel(b.Model, null, baseDir),
            TrainingDataset.LoadSft([sftData], ExampleTokenizer.FromModel(b, new TokenizationOptions { MaxLength = o.Size.MaxPositions })).Examples,
            Options(o.SftLearningRate, o.SftSteps, o.SftBatch, o.Seed, sftDir, b)).Train());
        log?.Invoke($"SFT on {scripted.Count} scripted conversations done: loss {LossWindow(sft, first: true):F3} over the first 10 % of steps, {LossWindow(sft, first: false):F3} over the last 10 % ({clock.Elapsed:mm\\:ss})");

        // 2. MCTS sampling on other training documents → module-choice pairs.
        var search = new SearchOptions { Strategy = SearchKind.Mcts, Simulations = o.Simulations, SampleTemperature = 0.7, MinVisits = 2 };
        var sampled = Translate(sftDir, o.Size.MaxPositions, agentOptions, prompts, sampleDocs, search);
        var pairs = sampled.SelectMany(r => r.Pages).Where(p => p.Search?["pairs"] is JsonArray)
            .SelectMany(p => p.Search!["pairs"]!.AsArray().OfType<JsonObject>()).Where(p => p["kind"]?.GetValue<string>() == "module").Select(p => (JsonObject)p.DeepClone()).ToList();
        var searched = sampled.SelectMany(r => r.Pages).Where(p => p.Search is not null && p.Calls.Count + (p.Search["tree"]?.AsArray().Count ?? 0) > 0).ToList();
        double gain = searched.Count == 0 ? 0 : searched.Average(p => p.Search!["score"]!.GetValue<double>() - p.Search["baseline"]!.GetValue<double>());
        var pairsPath = Path.Combine(work, "pairs.jsonl");
        WriteJsonl(pairsPath, pairs);
        log?.Invoke($"MCTS: {pairs.Count} module-choice pairs from {sampleDocs.Count} documents; chosen path beats no memory by {gain:F2} reward points a page ({clock.Elapsed:mm\\:ss})");

        // 3. DPO on the pairs (the SFT model itself when there are none).
        var dpoDir = sftDir;
        if (pairs.Count > 0)
        {
            dpoDir = Path.Combine(work, "dpo");
            var dpo = Train(sftDir, dpoDir, b => () => new DpoTrainer(new TrainableModel(b.Model, null, sftDir),
                TrainingDataset.LoadPreference([pairsPath], ExampleTokenizer.FromModel(b, new TokenizationOptions { MaxLength = o.Size.MaxPositions })).Examples,
                Options(o.DpoLearningRate, o.DpoSteps, Math.Max(1, o.SftBatch / 2), o.Seed, dpoDir, b), new DpoOptions { Beta = o.DpoBeta }).Train());
            log?.Invoke($"DPO done: loss {LossWindow(dpo, first: true):F3} over the first 10 % of steps, {LossWindow(dpo, first: false):F3} over the last 10 % ({clock.Elapsed:mm\\:ss})");
        }

        // 4. The arms on held-out documents.
        var setups = new (string Model, ModulePolicy Policy)[]
        {
            (sftDir, ModulePolicy.WholeDocument), (sftDir, ModulePolicy.NoMemory), (sftDir, ModulePolicy.Agent), (dpoDir, ModulePolicy.Agent), (sftDir, ModulePolicy.All),
        };
        var arms = new List<LongMtArm>();
        for (int k = 0; k < setups.Length; k++)
        {
            var a = Arm(ArmNames[k], Translate(setups[k].Model, o.Size.MaxPositions, agentOptions with { Policy = setups[k].Policy }, prompts, eval, null), eval);
            arms.Add(a);
            log?.Invoke($"{a.Name}: chrF {a.ChrF.Mean:F1} [{a.ChrF.Lo:F1}, {a.ChrF.Hi:F1}], consistency {a.Consistency.Mean:P0}, terms {a.Terms.Mean:P0}, modules/page {a.Docs.Average(d => d.ModulesPerPage):F2} ({clock.Elapsed:mm\\:ss})");
        }

        double wholeTokens;
        using (var local = LocalModel.Load(sftDir, options: new BatcherOptions { MaxModelLength = o.Size.MaxPositions, MaxBatch = 1 }))
        {
            var meter = new LocalPromptMeter(local);
            wholeTokens = eval.Average(d => meter.CountMessages([new ChatMessage(ChatRole.User, prompts.Translate(agentOptions.Languages, d.Source, AuxContext.None))])
                + meter.CountText(PageMarkup.Render(d.Reference)));
        }
        return new LongMtExperimentResult(arms, pairs.Count, wholeTokens, o.Size.MaxPositions, gain, clock.Elapsed);
    }

    /// <summary>Translate documents with a local model (all documents at once, so their calls share decode batches).</summary>
    private static List<DocumentResult> Translate(string modelDir, int context, LongMtOptions options, LongMtPrompts prompts, IReadOnlyList<LongDocument> docs, SearchOptions? search)
    {
        using var chat = Teacher.Create(new TeacherSpec(TeacherKind.Local, modelDir), new TeacherOptions { Batching = new BatcherOptions { MaxModelLength = context, MaxBatch = 16, MaxQueue = 256 } });
        var agent = new LongMtAgent(chat, options, prompts, PromptMeters.For(chat, context), new HashedNgramEmbedder(), search);
        var tasks = docs.Select((d, i) => agent.TranslateAsync(new LongMtDocument(d.Id, d.Source, d.Reference, d.Entities.Select(e => new EntityGloss(e.Source, e.Target)).ToList()), i)).ToArray();
        return Task.WhenAll(tasks).GetAwaiter().GetResult().ToList();
    }

    private static LongMtArm Arm(string name, List<DocumentResult> results, IReadOnlyList<LongDocument> docs) =>
        new(name, results.Zip(docs).Select(p => Score(p.First, p.Second)).ToList());

    public static LongMtDocScore Score(DocumentResult r, LongDocument d)
    {
        var hyp = r.Translation.Count == d.Source.Count ? r.Translation : Enumerable.Repeat("", d.Source.Count).ToList();
        double? consistency = EntityConsistency.Document(d.Source, hyp, d.Entities.Select(e => new EntityGloss(e.Source, e.Target)));
        int seen = 0, right = 0;
        foreach (var t in d.Terms)
            for (int i = 0; i < d.Source.Count; i++)
            {
                if (!TextMatch.ContainsWord(d.Source[i], t.Source) || d.Source[i].StartsWith($"The {t.Source} is a ", StringComparison.Ordinal)) continue;
                seen++;
                if (TextMatch.ContainsWord(hyp[i], t.Target)) right++;
            }
        double modules = r.Pages.Count == 0 ? 0 : r.Pages.Average(p => p.Calls.Count);
        return new LongMtDocScore(d.Id, ChrF.Corpus(hyp, d.Reference), ChrF.Corpus(hyp, d.Reference, ChrF.WordOrderPlusPlus), consistency,
            seen == 0 ? null : (double)right / seen, r.Problems.Count, modules);
    }

    private static TrainerOptions Options(double lr, int steps, int batch, ulong seed, string outDir, ModelBundle b) => new()
    {
        LearningRate = lr, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.05, MaxSteps = steps, BatchSize = batch, Seed = seed, LogSteps = 100000,
        OutputDir = outDir, PadTokenId = b.Tokenizer.PadTokenId ?? 0,
    };

    /// <summary>Train the model in <paramref name="fromDir"/> (the trainer saves it to <paramref name="outDir"/>) and put the tokenizer and generation config beside it.</summary>
    private static TrainResult Train(string fromDir, string outDir, Func<ModelBundle, Func<TrainResult>> trainer)
    {
        Directory.CreateDirectory(outDir);
        var b = ModelBundle.Load(fromDir);
        var result = trainer(b)();
        b.Tokenizer.Save(outDir);
        (b.Generation ?? new GenerationConfig { EosTokenIds = b.EosTokenIds }).Save(outDir);
        return result;
    }

    /// <summary>Mean training loss over the first or last tenth of the steps (NaN without history).</summary>
    private static double LossWindow(TrainResult r, bool first)
    {
        if (r.History.Count == 0) return double.NaN;
        int n = Math.Max(1, r.History.Count / 10);
        return (first ? r.History.Take(n) : r.History.Skip(r.History.Count - n)).Average(m => m.Loss);
    }

    private static void WriteJsonl(string path, IEnumerable<JsonObject> rows) =>
        File.WriteAllLines(path, rows.Select(r => r.ToJsonString()), new System.Text.UTF8Encoding(false));

    /// <summary>Mean and 95% percentile-bootstrap interval over documents (2,000 resamples, fixed seed).</summary>
    public static (double Mean, double Lo, double Hi) Interval(IReadOnlyList<double> values, int resamples = 2000, ulong seed = 12345)
    {
        if (values.Count == 0) return (double.NaN, double.NaN, double.NaN);
        var rng = new TestbedRng(seed);
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double s = 0;
            for (int i = 0; i < values.Count; i++) s += values[(int)(rng.NextU64() % (ulong)values.Count)];
            means[r] = s / values.Count;
        }
        Array.Sort(means);
        return (values.Average(), means[(int)Math.Floor(0.025 * (resamples - 1))], means[(int)Math.Ceiling(0.975 * (resamples - 1))]);
    }
}
