using System.Diagnostics;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Inference;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Synthesis.SeaPO;
using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Preference;
using Engine.Models;
using Engine.Runtime;

namespace Engine.Methods.Evaluation.Experiments;

public sealed record SeaPoExperimentOptions
{
    /// <summary>Families whose every reasoning step is an equation, so all three error kinds are visible (<see cref="SeaPoResponseClassifier"/>).</summary>
    public string Tasks { get; init; } = "arith";
    public IReadOnlyList<ulong> Seeds { get; init; } = [1, 2, 3];
    /// <summary>Task records the base is trained on; <see cref="BaseNoise"/> of them carry one of the three corruptions, so the base makes each error sometimes.</summary>
    public int BaseN { get; init; } = 8000;
    public double BaseNoise { get; init; } = 0.15;
    /// <summary>Injection demonstrations ((clean, type) → the testbed's corruption) mixed into the base's training: the base learns to inject.</summary>
    public int TeachN { get; init; } = 600;
    /// <summary>Clean records whose responses are the KTO positives (and, injected, its negatives).</summary>
    public int KtoN { get; init; } = 256;
    /// <summary>Most SFT steps of the base (exactly this many, cosine, when <see cref="BaseMinAccuracy"/> is 0).</summary>
    public int BaseSteps { get; init; } = 4000;
    /// <summary>The base trains in chunks (each a cosine cycle from the full lr: warm restarts) and stops at the first chunk whose validation accuracy reaches this: the method's base solves most of the task, so errors are a minority. 0 = a fixed <see cref="BaseSteps"/>.</summary>
    public double BaseMinAccuracy { get; init; } = 0.6;
    public int BaseChunkSteps { get; init; } = 400;
    /// <summary>Validation items of the base's stopping rule (test split, their own seed, never the reported items).</summary>
    public int BaseValidationN { get; init; } = 100;
    public double BaseLearningRate { get; init; } = 3e-3;
    /// <summary>Steps of every trained arm (SFT-only and each KTO arm): the same budget.</summary>
    public int ArmSteps { get; init; } = 60;
    public double ArmLearningRate { get; init; } = 3e-4;
    public int BatchSize { get; init; } = 16;
    public double Beta { get; init; } = 0.1;
    public int EvalN { get; init; } = 300;
    public int MaxNewTokens { get; init; } = 48;
    /// <summary>Upper length-ratio guard. The testbed's responses are two or three short lines, and one fabricated claim line roughly doubles them, so the default 2.0 would refuse most well-formed hallucinations.</summary>
    public double MaxLengthRatio { get; init; } = 3.0;
    /// <summary>Arms to run (default all: none, sft, programmatic:&lt;type|mixed&gt;, self:&lt;type|mixed&gt;).</summary>
    public IReadOnlyList<string>? Arms { get; init; }
    /// <summary>Reuse a finished base of the same seed in the work folder and continue its injection job, instead of starting both again.</summary>
    public bool Resume { get; init; }
    public TestbedExperiment.TinyModelSize Size { get; init; } = new(Hidden: 96, Layers: 3, Heads: 4, KvHeads: 2, Intermediate: 256, Vocab: 500, MaxPositions: 512);
}

/// <summary>One arm on one seed: every held-out item's correctness and error kinds.</summary>
public sealed record SeaPoArmOutcome(string Arm, ulong Seed, IReadOnlyList<bool> Correct, IReadOnlyList<ResponseErrors> Errors, double Seconds);

/// <summary>How well negatives of one type carry that type's error (by <see cref="SeaPoResponseClassifier"/>), per source.</summary>
public sealed record InjectionQuality(ulong Seed, string Source, SeaPoErrorType Type, int Negatives, int Intended, int WrongAnswer, int BrokenStep, int Claim);

public sealed record SeaPoExperimentResult(IReadOnlyList<SeaPoArmOutcome> Outcomes, IReadOnlyList<InjectionQuality> Quality,
    IReadOnlyList<(ulong Seed, string Report)> Rejections, IReadOnlyList<(ulong Seed, string Stage, double Seconds)> Timings);

/// <summary>
/// SeaPO on the testbed. Per seed: a tiny base is trained on chain-of-thought tasks with a minority of corrupted
/// records (so it makes each error kind sometimes) and on injection demonstrations — the testbed's programmatic
/// (clean, kind) → corrupted pairs rendered with SeaPO's injection prompts — because a model this small does not
/// follow an injection instruction out of the box. The base then injects errors into clean responses itself
/// (greedy, guards), and each arm continues from the base for the same number of steps: SFT on the positives only;
/// KTO with the programmatic negatives; KTO with the self-injected negatives (targeted per type, and mixed). Every arm
/// is evaluated on held-out prompts for accuracy and for the three error kinds separately.
/// </summary>
public static class SeaPoTestbedExperiment
{
    public static readonly IReadOnlyList<string> AllArms =
        ["none", "sft", .. SeaPoErrorTypes.All.Select(t => "programmatic:" + t.Name()), "programmatic:mixed", .. SeaPoErrorTypes.All.Select(t => "self:" + t.Name()), "self:mixed"];

    /// <summary>The testbed corruption that stands for each SeaPO error type.</summary>
    public static CorruptionKind KindOf(SeaPoErrorType t) => t switch
    {
        SeaPoErrorType.Correctness => CorruptionKind.WrongAnswer,
        SeaPoErrorType.Logic => CorruptionKind.LogicError,
        _ => CorruptionKind.Hallucination,
    };

    /// <summary>Whether classified errors contain the type's error.</summary>
    public static bool Has(ResponseErrors e, SeaPoErrorType t) => t switch
    {
        SeaPoErrorType.Correctness => e.WrongAnswer,
        SeaPoErrorType.Logic => e.BrokenStep,
        _ => e.FabricatedClaim,
    };

    public static SeaPoExperimentResult Run(string work, SeaPoExperimentOptions o, Action<string>? log = null)
    {
        var arms = o.Arms ?? AllArms;
        foreach (var a in arms) if (!AllArms.Contains(a)) throw new ArgumentException($"seapo experiment: unknown arm '{a}'; known: {string.Join(", ", AllArms)}.");
        var outcomes = new List<SeaPoArmOutcome>();
        var quality = new List<InjectionQuality>();
        var rejections = new List<(ulong, string)>();
        var timings = new List<(ulong, string, double)>();
        foreach (var seed in o.Seeds)
            RunSeed(Path.Combine(work, $"seed-{seed}"), seed, o, arms, outcomes, quality, rejections, timings, log);
        return new SeaPoExperimentResult(outcomes, quality, rejections, timings);
    }

    private static List<TestbedRecord> Corrupted(TestbedOptions clean, CorruptionKind kind) =>
        TestbedGenerator.Generate(clean with { Noise = 1, NoiseKinds = [kind] });

    private static void RunSeed(string dir, ulong seed, SeaPoExperimentOptions o, IReadOnlyList<string> arms, List<SeaPoArmOutcome> outcomes,
        List<InjectionQuality> quality, List<(ulong, string)> rejections, List<(ulong, string, double)> timings, Action<string>? log)
    {
        Directory.CreateDirectory(dir);
        var sw = Stopwatch.StartNew();
        void Stage(string name) { timings.Add((seed, name, sw.Elapsed.TotalSeconds)); log?.Invoke($"seed {seed}: {name} ({sw.Elapsed.TotalSeconds:F0} s)"); sw.Restart(); }
        var tasks = TaskRegistry.Parse(o.Tasks);
        var prompts = SeaPoPrompts.Default;
        var types = SeaPoErrorTypes.All;

        // Data: noisy task records for the base, injection demonstrations, clean KTO records, held-out items.
        var baseData = TestbedGenerator.Generate(new TestbedOptions
        {
            Tasks = tasks, N = o.BaseN, Noise = o.BaseNoise, Cot = true, Seed = seed * 1000 + 1,
            NoiseKinds = [CorruptionKind.WrongAnswer, CorruptionKind.LogicError, CorruptionKind.Hallucination],
        });
        var teachOpts = new TestbedOptions { Tasks = tasks, N = o.TeachN, Cot = true, Seed = seed * 1000 + 2 };
        var teachClean = TestbedGenerator.Generate(teachOpts);
        var teachBad = types.ToDictionary(t => t, t => Corrupted(teachOpts, KindOf(t)));
        var demos = teachClean.Select((r, i) => (types[i % types.Count], r, i))
            .Select(x => (prompts.Build(x.Item1, x.r.Prompt, x.r.Output), teachBad[x.Item1][x.i].Output)).ToList();
        var ktoOpts = new TestbedOptions { Tasks = tasks, N = o.KtoN, Cot = true, Seed = seed * 1000 + 3 };
        var ktoClean = TestbedGenerator.Generate(ktoOpts);
        var ktoBad = types.ToDictionary(t => t, t => Corrupted(ktoOpts, KindOf(t)));
        var evalItems = TestbedGenerator.Generate(new TestbedOptions { Tasks = tasks, N = o.EvalN, Cot = true, Seed = seed * 1000 + 4, Split = TestbedSplit.Test });

        // Base: tokenizer on all of that text, then SFT on tasks + injection demonstrations.
        var taskPairs = baseData.Select(r => (r.Prompt, r.Output)).ToList();
        var corpus = TestbedExperiment.ChatText(baseData).Concat(demos.Select(d => Chat(d.Item1, d.Item2)));
        var baseDir = Path.Combine(dir, "base");
        // generation_config.json is written last, so its presence means the base finished.
        bool baseDone = o.Resume && File.Exists(Path.Combine(baseDir, "generation_config.json"));
        if (!baseDone)
        {
            File.Delete(Path.Combine(dir, "base-band.txt"));
            TestbedExperiment.MakeTinyModel(Path.Combine(dir, "init"), corpus, o.Size, seed, o.MaxNewTokens);
            var basePath = Path.Combine(dir, "base-train.jsonl");
            WriteChat(basePath, taskPairs.Concat(demos));
            void TrainBase(string from, string to, TrainerOptions opts)
            {
                var init = ModelBundle.Load(from);
                var (examples, _) = TrainingDataset.LoadSft([basePath], ExampleTokenizer.FromModel(init));
                new SftTrainer(new TrainableModel(init.Model, null, init.Directory), examples, opts with { OutputDir = to, PadTokenId = init.Tokenizer.PadTokenId ?? 0 }).Train();
                init.Tokenizer.Save(to);
                (init.Generation ?? new Models.Generation.GenerationConfig { EosTokenIds = init.EosTokenIds }).Save(to);
            }
            var baseOpts = new TrainerOptions
            {
                LearningRate = o.BaseLearningRate, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.05, BatchSize = o.BatchSize,
                MaxSteps = o.BaseSteps, Seed = seed, LogSteps = 100000,
            };
            if (o.BaseMinAccuracy <= 0) TrainBase(Path.Combine(dir, "init"), baseDir, baseOpts);
            else
            {
                int chunk = Math.Min(o.BaseChunkSteps, o.BaseSteps);
                var validation = TestbedGenerator.Generate(new TestbedOptions { Tasks = tasks, N = o.BaseValidationN, Cot = true, Seed = seed * 1000 + 5, Split = TestbedSplit.Test });
                var band = BandedBase.Train(Path.Combine(dir, "init"), Path.Combine(dir, "base-chunks"), chunk, Math.Max(1, o.BaseSteps / chunk), o.BaseMinAccuracy,
                    // Each chunk is a full cosine cycle (warm restarts): with a constant lr the base plateaued at 10–15 %.
                    (from, to, k) => TrainBase(from, to, baseOpts with { MaxSteps = chunk, Seed = seed + (ulong)k }),
                    m => TestbedEvaluator.Evaluate(ModelBundle.Load(m), validation, new EvalOptions { Cot = true, MaxNewTokens = o.MaxNewTokens, BatchSize = o.BatchSize }).Accuracy,
                    log);
                // The chosen chunk becomes the base; generation_config.json is copied last, so its presence still means "finished".
                Directory.CreateDirectory(baseDir);
                foreach (var f in Directory.GetFiles(band.ModelDir).OrderBy(f => Path.GetFileName(f) == "generation_config.json"))
                    File.Copy(f, Path.Combine(baseDir, Path.GetFileName(f)), overwrite: true);
                File.WriteAllText(Path.Combine(dir, "base-band.txt"), band.Describe() + "\n");
            }
        }
        var bandFile = Path.Combine(dir, "base-band.txt");
        Stage((baseDone ? "base reused" : "base trained") + (File.Exists(bandFile) ? $" [{File.ReadAllText(bandFile).Trim()}]" : ""));

        // Self-injection: the base injects every type into the clean KTO responses (greedy, guards).
        var cleanPath = Path.Combine(dir, "kto-clean.jsonl");
        WriteChat(cleanPath, ktoClean.Select(r => (r.Prompt, r.Output)), ktoClean.Select(r => r.Id).ToList());
        var ktoOut = Path.Combine(dir, "self");
        bool needSelf = arms.Any(a => a.StartsWith("self:", StringComparison.Ordinal));
        var selfFiles = new Dictionary<string, string>();
        if (needSelf)
        {
            var injector = new LocalInjector(InferenceModel.Load(baseDir, Device.Cpu), o.MaxNewTokens, o.BatchSize);
            var seapo = new SeaPoOptions { Types = types, Mode = SeaPoMode.Mixed, MaxNewTokens = o.MaxNewTokens, MaxLengthRatio = o.MaxLengthRatio, BatchSize = o.BatchSize, Seed = seed };
            new SeaPoRunner(injector, seapo).Inject(new JobOptions { Input = cleanPath, Output = ktoOut + ".jsonl", Overwrite = !o.Resume, Resume = o.Resume });
            var injections = SeaPoRunner.InjectionsPath(ktoOut + ".jsonl");
            foreach (var t in types)
                selfFiles[t.Name()] = WriteKto(injections, $"{ktoOut}-{t.Name()}.jsonl", SeaPoMode.Targeted, [t], seed);
            selfFiles["mixed"] = WriteKto(injections, $"{ktoOut}-mixed.jsonl", SeaPoMode.Mixed, types, seed);
            rejections.Add((seed, File.ReadAllText(SeaPoRunner.ReportPath($"{ktoOut}-mixed.jsonl"))));
            // What the accepted self-injected negatives really contain.
            var lines = JsonlReader.Read(injections).Select(l => l.Value).ToList();
            foreach (var t in types)
            {
                var errs = lines.Select(l => (l, inj: l["injections"]!.AsArray().First(i => (string)i!["type"]! == t.Name())!))
                    .Where(x => x.inj["rejected"] is null)
                    .Select(x => { var r = ktoClean[(int)(long)x.l["index"]!]; return SeaPoResponseClassifier.Classify(r.Task, r.Answer!, (string)x.inj["negative"]!); }).ToList();
                quality.Add(Quality(seed, "self", t, errs));
                quality.Add(Quality(seed, "programmatic", t, ktoBad[t].Select(r => SeaPoResponseClassifier.Classify(r.Task, r.Answer!, r.Output)).ToList()));
            }
            Stage("self-injection");
        }

        // Programmatic negatives in the same KTO format (every record has one of each kind).
        var progLines = ktoClean.Select((r, i) => new JsonObject
        {
            ["index"] = (long)i, ["id"] = r.Id,
            ["prompt"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = r.Prompt }),
            ["response"] = r.Output, ["conversational"] = true,
            ["injections"] = new JsonArray(types.Select(t => (JsonNode)new JsonObject { ["type"] = t.Name(), ["output"] = ktoBad[t][i].Output, ["negative"] = ktoBad[t][i].Output, ["rejected"] = null }).ToArray()),
        }).ToList();

        var evalOpts = new EvalOptions { MaxNewTokens = o.MaxNewTokens, BatchSize = 32 };
        foreach (var arm in arms)
        {
            var armSw = Stopwatch.StartNew();
            var bundle = ModelBundle.Load(baseDir);
            var trainOpts = new TrainerOptions
            {
                LearningRate = o.ArmLearningRate, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.1, BatchSize = o.BatchSize, MaxSteps = o.ArmSteps,
                Seed = seed + 17, LogSteps = 100000, PadTokenId = bundle.Tokenizer.PadTokenId ?? 0,
            };
            var et = ExampleTokenizer.FromModel(bundle);
            var trainable = new TrainableModel(bundle.Model, null, baseDir);
            if (arm == "sft")
                new SftTrainer(trainable, TrainingDataset.LoadSft([cleanPath], et).Examples, trainOpts).Train();
            else if (arm != "none")
            {
                var (source, which) = (arm[..arm.IndexOf(':')], arm[(arm.IndexOf(':') + 1)..]);
                string file;
                if (source == "self") file = selfFiles[which];
                else
                {
                    file = Path.Combine(dir, $"programmatic-{which}.jsonl");
                    var (mode, ts) = which == "mixed" ? (SeaPoMode.Mixed, types) : (SeaPoMode.Targeted, (IReadOnlyList<SeaPoErrorType>)[SeaPoErrorTypes.Parse(which)]);
                    WriteRows(file, progLines.Select(l => (l, SeaPoKto.Choose(l, mode, ts, seed))));
                }
                var examples = TrainingDataset.LoadKto([file], et).Examples;
                if (examples.Count == 0)
                {
                    // Every injected negative was refused by the guards: nothing to train on, so the arm is reported missing.
                    log?.Invoke($"seed {seed}: {arm}: skipped, no accepted negative");
                    Stage(arm + " (skipped)");
                    continue;
                }
                new KtoTrainer(trainable, examples, trainOpts, new KtoOptions { Beta = o.Beta }).Train();
            }
            var report = TestbedEvaluator.Evaluate(bundle, evalItems, evalOpts);
            var errors = report.Items.Select((it, i) => SeaPoResponseClassifier.Classify(evalItems[i].Task, evalItems[i].Answer!, it.Output)).ToList();
            outcomes.Add(new SeaPoArmOutcome(arm, seed, report.Items.Select(i => i.Correct).ToList(), errors, armSw.Elapsed.TotalSeconds));
            log?.Invoke($"seed {seed}: {arm}: accuracy {report.Accuracy:P1}, wrong answer {errors.Count(e => e.WrongAnswer)}, broken step {errors.Count(e => e.BrokenStep)}, claim {errors.Count(e => e.FabricatedClaim)} of {errors.Count}");
            Stage(arm);
        }
    }

    private static InjectionQuality Quality(ulong seed, string source, SeaPoErrorType t, IReadOnlyList<ResponseErrors> errs) =>
        new(seed, source, t, errs.Count, errs.Count(e => Has(e, t)), errs.Count(e => e.WrongAnswer), errs.Count(e => e.BrokenStep), errs.Count(e => e.FabricatedClaim));

    private static string WriteKto(string injections, string path, SeaPoMode mode, IReadOnlyList<SeaPoErrorType> types, ulong seed)
    {
        SeaPoRunner.WriteKto(injections, path, mode, types, seed);
        return path;
    }

    private static void WriteRows(string path, IEnumerable<(JsonObject Line, (SeaPoErrorType Type, string Negative)? Pick)> picks)
    {
        var rows = picks.Where(p => p.Pick is not null).Select(p => SeaPoKto.Rows(p.Line, p.Pick!.Value.Type, p.Pick.Value.Negative)).ToList();
        File.WriteAllLines(path, rows.Select(r => r[0].ToJsonString()).Concat(rows.Select(r => r[1].ToJsonString())));
    }

    private static string Chat(string user, string assistant) =>
        "<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n" + assistant + "<|im_end|>\n";

    private static void WriteChat(string path, IEnumerable<(string User, string Assistant)> pairs, IReadOnlyList<string>? ids = null) =>
        File.WriteAllLines(path, pairs.Select((p, i) =>
        {
            var o = new JsonObject();
            if (ids is not null) o["id"] = ids[i];
            o["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = p.User }, new JsonObject { ["role"] = "assistant", ["content"] = p.Assistant });
            return o.ToJsonString();
        }));
}
