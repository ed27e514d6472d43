using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Inference;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Core.Progress;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Evaluation.Testbed.Families;
using Engine.Methods.Synthesis.AQuilt;
using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Models;
using Engine.Models.Generation;
using Engine.Runtime;

namespace Engine.Methods.Evaluation.Experiments;

public sealed record AQuiltExperimentOptions
{
    /// <summary>The fact domain held out: the synthesiser and the students see only its unlabelled passages (and the upper-bound arm its gold data).</summary>
    public string HeldOut { get; init; } = "facts_comets";
    /// <summary>Fact domains with labelled data: the synthesiser's build records and every student's base mix.</summary>
    public string TrainFamilies { get; init; } = "facts_people,facts_countries,facts_ships,facts_guilds";
    /// <summary>Labelled instances per training domain for the synthesiser (each gives a clean and a damaged build record).</summary>
    public int BuildPerFamily { get; init; } = 300;
    /// <summary>Unlabelled passages of the held-out domain (one synthetic sample each; the gold arm gets their gold questions).</summary>
    public int Passages { get; init; } = 400;
    /// <summary>Gold records per training domain in every student's data.</summary>
    public int MixPerFamily { get; init; } = 200;
    public int SynthesiserSteps { get; init; } = 600;
    public int StudentSteps { get; init; } = 400;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 2e-3;
    public int EvalN { get; init; } = 200;
    public int SynthesisMaxNewTokens { get; init; } = 96;
    public int InspectionMaxNewTokens { get; init; } = 64;
    /// <summary>
    /// ROUGE-L diversity threshold of the filtered arm (null = off). Not Self-Instruct's 0.7: fact passages come from
    /// one template, so even gold instructions of different passages reach F 0.85 and a 0.7 rule keeps about one in
    /// eight of them; 0.9 drops only near-copies.
    /// </summary>
    public double? Diversity { get; init; } = 0.9;
    public int Seeds { get; init; } = 3;
    public ulong FirstSeed { get; init; } = 1;
    public TestbedExperiment.TinyModelSize Size { get; init; } = new(Hidden: 128, Layers: 4, Heads: 4, KvHeads: 2, Intermediate: 352, Vocab: 1024, MaxPositions: 512);
}

/// <summary>A student arm of one seed: its extra data and its held-out accuracy.</summary>
public sealed record AQuiltArm(string Name, int ExtraExamples, EvalReport Eval);

/// <summary>What synthesis gave for one seed: samples, parsed pairs, the checker's verdicts before and after inspection + filters.</summary>
public sealed record AQuiltSynthesisStats(int Samples, int Parsed, int ParsedCorrect, int Kept, int KeptCorrect, int[] ScoreBuckets, FilterReport Filter,
    IReadOnlyDictionary<int, (int N, int Correct)> CorrectByScore)
{
    public double CorrectBefore => Parsed == 0 ? 0 : (double)ParsedCorrect / Parsed;
    public double CorrectAfter => Kept == 0 ? 0 : (double)KeptCorrect / Kept;
}

public sealed record AQuiltSeedResult(ulong Seed, AQuiltSynthesisStats Synthesis, IReadOnlyList<AQuiltArm> Arms, TimeSpan Elapsed);

public sealed record AQuiltExperimentResult(AQuiltExperimentOptions Options, IReadOnlyList<AQuiltSeedResult> Seeds)
{
    public static readonly string[] ArmNames = ["a: nothing extra", "b: synthetic, unfiltered", "c: synthetic, inspected + filtered", "d: gold (upper bound)"];

    /// <summary>Pooled accuracy of an arm over every seed's held-out items, with a bootstrap CI over the pooled items.</summary>
    public (double Acc, double Lo, double Hi, int N) Pooled(int arm)
    {
        var outcomes = Seeds.SelectMany(s => s.Arms[arm].Eval.Items.Select(i => i.Correct)).ToArray();
        var (lo, hi) = Bootstrap.Interval(outcomes);
        return (outcomes.Length == 0 ? 0 : outcomes.Count(x => x) / (double)outcomes.Length, lo, hi, outcomes.Length);
    }

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine("| arm | " + string.Join(" | ", Seeds.Select(s => $"seed {s.Seed}")) + " | pooled (95% CI) |");
        sb.AppendLine("|---|" + string.Concat(Seeds.Select(_ => "---|")) + "---|");
        for (int a = 0; a < ArmNames.Length; a++)
        {
            var (acc, lo, hi, _) = Pooled(a);
            sb.AppendLine($"| {ArmNames[a]} | " + string.Join(" | ", Seeds.Select(s => string.Create(inv,
                $"{s.Arms[a].Eval.Accuracy:P1} [{s.Arms[a].Eval.Lo:P1}, {s.Arms[a].Eval.Hi:P1}] (+{s.Arms[a].ExtraExamples})"))) + string.Create(inv, $" | **{acc:P1}** [{lo:P1}, {hi:P1}] |"));
        }
        sb.AppendLine();
        sb.AppendLine("| seed | samples | parsed | checker-correct before inspection | kept after inspection + filters | checker-correct after | scores 1/2/3/4/5 | keep rule | dropped |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---|---|---|");
        foreach (var s in Seeds)
        {
            var st = s.Synthesis;
            var d = st.Filter.Decision;
            sb.AppendLine(string.Create(inv, $"| {s.Seed} | {st.Samples} | {st.Parsed} | {st.CorrectBefore:P1} ({st.ParsedCorrect}) | {st.Kept} | {st.CorrectAfter:P1} ({st.KeptCorrect}) | ") +
                $"{string.Join("/", st.ScoreBuckets.Skip(1))} | {(d is null ? "-" : string.Create(inv, $"low share {d.LowShare:P1} → ≥{d.MinScore}"))} | " +
                string.Join(", ", st.Filter.Dropped.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}")) + " |");
        }
        sb.AppendLine();
        sb.AppendLine("| seed | checker-correct share by inspection score 1 / 2 / 3 / 4 / 5 |");
        sb.AppendLine("|---|---|");
        foreach (var s in Seeds)
            sb.AppendLine($"| {s.Seed} | " + string.Join(" / ", Enumerable.Range(1, 5).Select(k =>
                s.Synthesis.CorrectByScore.TryGetValue(k, out var c) && c.N > 0 ? string.Create(inv, $"{c.Correct}/{c.N}") : "-")) + " |");
        return sb.ToString();
    }
}

/// <summary>
/// AQuilt on the testbed, end to end, for several seeds. Per seed: a tiny base model; the synthesiser trained (full
/// fine-tuning: the tiny base has no pretrained knowledge for a low-rank adapter to steer) on both AQuilt formats
/// from testbed-built records of the training fact domains; synthesis over unlabelled passages of the held-out domain;
/// self-inspection; filtering; and four students trained from the same base for the same number of steps on the gold
/// mix of the training domains plus (a) nothing, (b) every parsed synthetic sample, (c) the samples kept by the keep
/// rule and the filters, (d) the held-out domain's gold data for the same passages. Each student is evaluated on
/// held-out test-split items of the held-out domain; the testbed's checker also says which synthetic answers are right.
/// </summary>
public static class AQuiltTestbedExperiment
{
    public static AQuiltExperimentResult Run(string work, AQuiltExperimentOptions o, Action<string>? log = null)
    {
        var seeds = new List<AQuiltSeedResult>();
        for (int k = 0; k < o.Seeds; k++)
        {
            ulong seed = o.FirstSeed + (ulong)k;
            var dir = Path.Combine(work, $"seed-{seed}");
            // A seed finished earlier (or by another process) is read back, not run again.
            if (AQuiltSeedResultFile.TryRead(dir, o) is { } done) { log?.Invoke($"[seed {seed}] finished earlier: {Path.Combine(dir, AQuiltSeedResultFile.Name)}"); seeds.Add(done); }
            else
            {
                var r = RunSeed(dir, o, seed, log);
                AQuiltSeedResultFile.Write(dir, r, o);
                seeds.Add(r);
            }
            // The tables so far, rewritten after every seed: a long run cut short still leaves its finished seeds.
            File.WriteAllText(Path.Combine(work, "partial.md"), new AQuiltExperimentResult(o, seeds).ToMarkdown());
        }
        return new AQuiltExperimentResult(o, seeds);
    }

    public static AQuiltSeedResult RunSeed(string work, AQuiltExperimentOptions o, ulong seed, Action<string>? log = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Log(string m) => log?.Invoke($"[seed {seed} {clock.Elapsed:mm\\:ss}] {m}");
        Directory.CreateDirectory(work);
        var train = TaskRegistry.Parse(o.TrainFamilies).Select(f => f as FactsFamily ?? throw new ArgumentException($"AQuilt experiment: '{f.Name}' is not a fact domain.")).ToList();
        var heldOut = TaskRegistry.Get(o.HeldOut) as FactsFamily ?? throw new ArgumentException($"AQuilt experiment: '{o.HeldOut}' is not a fact domain.");
        if (train.Contains(heldOut)) throw new ArgumentException($"AQuilt experiment: the held-out domain {heldOut.Name} is also a training domain.");
        var format = new AQuiltFilterOptions { InstructionTemplate = AQuiltTestbed.InstructionTemplate(heldOut) };
        var task = AQuiltTestbed.TaskTypeOf(heldOut);

        // Data: build records (labelled, training domains), unlabelled held-out passages, the students' gold mix.
        var build = Path.Combine(work, "build.jsonl");
        WriteLines(build, AQuiltTestbed.BuildRecords(train, o.BuildPerFamily, seed));
        var passages = TestbedPassages.Generate(heldOut, o.Passages, TestbedRng.Derive(seed, "aquilt-passages"));
        var passagesFile = Path.Combine(work, "passages.jsonl");
        TestbedPassages.Write(passages, passagesFile, Path.Combine(work, "passages.key.jsonl"));
        var mix = train.SelectMany(f => AQuiltTestbed.GoldSft(f, TestbedPassages.Generate(f, o.MixPerFamily, TestbedRng.Derive(seed, "aquilt-mix-" + f.Name)), format)).ToList();

        // Base model: tokenizer trained on everything a run may show it except held-out gold questions.
        var buildRecords = AQuiltTrainingData.ReadAll([build], new DatasetOptions(), new ReadReport());
        var dataOptions = new AQuiltTrainingDataOptions { GenerationMinScore = 5, Seed = seed };
        var rendered = AQuiltTrainingData.Render(buildRecords, dataOptions);
        var corpus = rendered.Select(e => e.Prompt + e.Completion).Concat(passages.Select(p => p.Text)).Concat(mix.Select(ChatText));
        var baseDir = TestbedExperiment.MakeTinyModel(Path.Combine(work, "base"), corpus, o.Size, seed);
        Log("base model ready");

        // Synthesiser: both formats in one run (generation of the clean samples, inspection balanced over five levels).
        var synthDir = Path.Combine(work, "synthesiser");
        var bundle = ModelBundle.Load(baseDir);
        var (examples, report) = AQuiltTrainingData.Load([build], AQuiltTrainingData.Tokenizer(bundle), new DatasetOptions(), dataOptions);
        Log($"synthesiser data: {report}; {rendered.Count(e => e.Kind == AQuiltExample.GenerationKind)} generation + {rendered.Count(e => e.Kind == AQuiltExample.InspectionKind)} inspection examples");
        var trainOpts = new TrainerOptions
        {
            LearningRate = o.LearningRate, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.05, BatchSize = o.BatchSize, Seed = seed, LogSteps = 1_000_000,
        };
        new SftTrainer(new TrainableModel(bundle.Model, null, baseDir), examples,
            trainOpts with { MaxSteps = o.SynthesiserSteps, OutputDir = synthDir, PadTokenId = bundle.Tokenizer.PadTokenId ?? 0 }).Train();
        bundle.Tokenizer.Save(synthDir);
        (bundle.Generation ?? new GenerationConfig { EosTokenIds = bundle.EosTokenIds }).Save(synthDir);
        Log("synthesiser trained");

        // Synthesis, inspection, filtering.
        var completer = new LocalCompleter(InferenceModel.Load(synthDir, Device.Cpu), batchSize: o.BatchSize);
        var synth = Path.Combine(work, "synth.jsonl");
        RecordJobRunner.Run(new SynthesisJob(completer, new AQuiltSynthesisOptions { Tasks = [task], MaxNewTokens = o.SynthesisMaxNewTokens, Seed = seed, BatchSize = o.BatchSize }),
            new JobOptions { Input = passagesFile, Output = synth, Overwrite = true });
        var inspected = Path.Combine(work, "inspected.jsonl");
        RecordJobRunner.Run(new InspectionJob(completer, new AQuiltInspectionOptions { MaxNewTokens = o.InspectionMaxNewTokens, Seed = seed, BatchSize = o.BatchSize }),
            new JobOptions { Input = synth, Output = inspected, Overwrite = true });
        Log("synthesis: " + AQuiltSummary.Read(inspected).Describe());
        var unfiltered = Path.Combine(work, "synthetic-unfiltered.jsonl");
        AQuiltFilter.Run(inspected, unfiltered, format with { UseScores = false }, overwrite: true);
        var filtered = Path.Combine(work, "synthetic-filtered.jsonl");
        var filterReport = AQuiltFilter.Run(inspected, filtered, format with { TextIndependence = true, DiversityThreshold = o.Diversity }, overwrite: true);
        Log("filter: " + filterReport.Describe());

        var all = AQuiltTestbed.Check(heldOut, ReadLines(inspected));
        var kept = AQuiltTestbed.Check(heldOut, ReadLines(filtered));
        var byScore = all.Where(c => c.Score is not null).GroupBy(c => AQuiltRules.Bucket(c.Score!.Value))
            .ToDictionary(g => g.Key, g => (g.Count(), g.Count(c => c.Check.Correct)));
        var buckets = new int[6];
        foreach (var c in all) if (c.Score is { } s) buckets[AQuiltRules.Bucket(s)]++;
        var stats = new AQuiltSynthesisStats(passages.Count, all.Count, all.Count(c => c.Check.Correct), kept.Count, kept.Count(c => c.Check.Correct), buckets, filterReport, byScore);
        Log($"checker-correct: {stats.CorrectBefore:P1} of {stats.Parsed} parsed, {stats.CorrectAfter:P1} of {stats.Kept} kept");

        // Students: same base, same steps, the gold mix plus each arm's extra data.
        var gold = AQuiltTestbed.GoldSft(heldOut, passages, format);
        var extras = new List<JsonObject>[] { [], ReadLines(unfiltered), ReadLines(filtered), gold };
        var eval = new EvalOptions { Tasks = [heldOut], N = o.EvalN, Seed = seed + 99, MaxNewTokens = 48, BatchSize = 32 };
        var arms = new List<AQuiltArm>();
        for (int a = 0; a < extras.Length; a++)
        {
            var dir = Path.Combine(work, $"student-{(char)('a' + a)}");
            var data = Path.Combine(work, $"student-{(char)('a' + a)}.jsonl");
            WriteLines(data, mix.Concat(extras[a].Select(StudentRecord)));
            Student(baseDir, data, dir, trainOpts with { MaxSteps = o.StudentSteps });
            var report2 = TestbedEvaluator.Evaluate(ModelBundle.Load(dir), eval);
            arms.Add(new AQuiltArm(AQuiltExperimentResult.ArmNames[a], extras[a].Count, report2));
            Log($"student {AQuiltExperimentResult.ArmNames[a]} (+{extras[a].Count}): {report2.Accuracy:P1} [{report2.Lo:P1}, {report2.Hi:P1}]");
        }
        return new AQuiltSeedResult(seed, stats, arms, clock.Elapsed);
    }

    /// <summary>Only the SFT fields, so every arm's records look alike to the trainer.</summary>
    private static JsonObject StudentRecord(JsonObject r) => new() { ["instruction"] = r["instruction"]!.GetValue<string>(), ["output"] = r["output"]!.GetValue<string>() };

    private static string ChatText(JsonObject r) =>
        "<|im_start|>user\n" + r["instruction"]!.GetValue<string>() + "<|im_end|>\n<|im_start|>assistant\n" + r["output"]!.GetValue<string>() + "<|im_end|>\n";

    private static void Student(string baseDir, string data, string outDir, TrainerOptions options)
    {
        var bundle = ModelBundle.Load(baseDir);
        var (examples, _) = TrainingDataset.LoadSft([data], ExampleTokenizer.FromModel(bundle));
        new SftTrainer(new TrainableModel(bundle.Model, null, baseDir), examples,
            options with { OutputDir = outDir, PadTokenId = bundle.Tokenizer.PadTokenId ?? 0 }).Train();
        bundle.Tokenizer.Save(outDir);
        (bundle.Generation ?? new GenerationConfig { EosTokenIds = bundle.EosTokenIds }).Save(outDir);
    }

    private static void WriteLines(string path, IEnumerable<JsonObject> lines)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        foreach (var l in lines) { w.Write(l.ToJsonString()); w.Write('\n'); }
    }

    private static List<JsonObject> ReadLines(string path) => File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
}
