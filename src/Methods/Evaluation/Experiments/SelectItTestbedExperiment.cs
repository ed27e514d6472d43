using Engine.Methods.Selection.SelectIT;
using System.Text.Json.Nodes;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Training;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Progress;
using Engine.Methods.Training.Data;
using Engine.Models;

namespace Engine.Methods.Evaluation.Experiments;

public sealed record SelectItExperimentOptions
{
    public string Tasks { get; init; } = "syllogism";
    public int N { get; init; } = 1000;
    public double Noise { get; init; } = 0.3;
    public double Ratio { get; init; } = 0.2;
    /// <summary>Records (disjoint seed) the rating model learns to rate from: "5" for clean, "1" for corrupted.</summary>
    public int JudgeN { get; init; } = 1500;
    public int JudgeSteps { get; init; } = 300;
    public int StudentSteps { get; init; } = 300;
    public int EvalN { get; init; } = 150;
    public ulong Seed { get; init; } = 1;
    public TestbedExperiment.TinyModelSize Size { get; init; } = new();
}

public sealed record SelectItExperimentResult(SelectionScore Separation, double SelectedCleanShare, double RandomCleanShare,
    EvalReport SelectedEval, EvalReport RandomEval);

/// <summary>
/// SelectIT on the testbed, end to end. A tiny base model is taught the rating format on a disjoint, labelled
/// set (the stand-in for the rating ability a pretrained LLM brings; documented in the result), SelectIT
/// scores a noisy data set with it, and the same student recipe is trained on SelectIT's top fraction and
/// on a random fraction of the same size, then evaluated on held-out items.
/// </summary>
public static class SelectItTestbedExperiment
{
    public static SelectItExperimentResult Run(string work, SelectItExperimentOptions o, Action<string>? log = null)
    {
        Directory.CreateDirectory(work);
        var tasks = TaskRegistry.Parse(o.Tasks);
        var data = TestbedGenerator.Generate(new TestbedOptions { Tasks = tasks, N = o.N, Noise = o.Noise, Seed = o.Seed, Split = TestbedSplit.Train });
        var judgeData = TestbedGenerator.Generate(new TestbedOptions { Tasks = tasks, N = o.JudgeN, Noise = 0.5, Seed = o.Seed + 1000, Split = TestbedSplit.Train });
        var prompts = RatingPrompts.Default.Take(5).ToArray();
        string Rating(TestbedRecord r, int p) => RatingPrompts.Build(prompts[p % prompts.Length], r.Prompt, r.Output);

        var corpus = TestbedExperiment.ChatText(data).Concat(judgeData.Select((r, i) => Rating(r, i)));
        var baseDir = TestbedExperiment.MakeTinyModel(Path.Combine(work, "base"), corpus, o.Size, o.Seed);
        log?.Invoke("base model ready");

        // Rating model: base + supervised ratings on the disjoint judge set.
        var judgeDir = Path.Combine(work, "judge");
        var bundle = ModelBundle.Load(baseDir);
        var digit = RatingTokens.Resolve(bundle.Tokenizer, 5);
        var judgeExamples = judgeData.Select((r, i) =>
        {
            var ids = bundle.Tokenizer.Encode(Rating(r, i), addSpecialTokens: true).Append(digit[r.Meta!.Corrupted ? 0 : 4]).ToArray();
            var labels = ids.Select((_, j) => j == ids.Length - 1 ? ids[j] : LabelMask.Ignore).ToArray();
            return new SftExample(ids, labels, Id: r.Id);
        }).ToList();
        var trainOpts = new TrainerOptions { LearningRate = 3e-3, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.05, BatchSize = 16, Seed = o.Seed, LogSteps = 100000 };
        new SftTrainer(new TrainableModel(bundle.Model, null, baseDir), judgeExamples,
            trainOpts with { MaxSteps = o.JudgeSteps, OutputDir = judgeDir, PadTokenId = bundle.Tokenizer.PadTokenId ?? 0 }).Train();
        bundle.Tokenizer.Save(judgeDir);
        log?.Invoke("rating model trained");

        // SelectIT over the noisy data.
        var input = Path.Combine(work, "data.jsonl");
        TestbedWriter.Write(data, input, TestbedFormat.Alpaca, hideHidden: true);
        var runner = new SelectItRunner(new SelectItOptions { Models = [judgeDir], Ratio = o.Ratio, BatchSize = 16 }, log is null ? null : new LogProgress(log));
        runner.Score(input, Path.Combine(work, "selectit"), overwrite: true);
        var merged = runner.Merge(input, Path.Combine(work, "selectit"), Path.Combine(work, "selected.jsonl"), Path.Combine(work, "scores.jsonl"));
        var scores = data.Select((r, i) => (r.Id, merged.Scores[i])).ToDictionary(x => x.Id, x => x.Item2);
        var key = data.ToDictionary(r => r.Id, r => r.Meta!.Corrupted);
        int count = SelectItScores.CountForRatio(data.Count, o.Ratio);
        var separation = SelectionScoring.Evaluate(scores, key, keep: count);
        log?.Invoke($"SelectIT AUC {separation.Auc:F3}, kept precision {separation.KeptPrecision:P1}");

        var selectedIdx = SelectItScores.Select(merged.Scores, count);
        var rng = new TestbedRng(o.Seed + 7);
        var order = Enumerable.Range(0, data.Count).ToList();
        rng.Shuffle(order);
        var randomIdx = order.Take(count).ToArray();
        double Clean(int[] idx) => idx.Count(i => !data[i].Meta!.Corrupted) / (double)idx.Length;

        // Students: same base, same recipe, different 20%.
        var studentOpts = trainOpts with { MaxSteps = o.StudentSteps };
        TestbedExperiment.Sft(baseDir, selectedIdx.Select(i => data[i]).ToList(), Path.Combine(work, "student-selectit"), studentOpts);
        TestbedExperiment.Sft(baseDir, randomIdx.Select(i => data[i]).ToList(), Path.Combine(work, "student-random"), studentOpts);
        var eval = new EvalOptions { Tasks = tasks, N = o.EvalN, Seed = o.Seed + 99, MaxNewTokens = 8, BatchSize = 32 };
        var se = TestbedEvaluator.Evaluate(ModelBundle.Load(Path.Combine(work, "student-selectit")), eval);
        var re = TestbedEvaluator.Evaluate(ModelBundle.Load(Path.Combine(work, "student-random")), eval);
        log?.Invoke($"held-out accuracy: SelectIT {se.Accuracy:P1} [{se.Lo:P1}, {se.Hi:P1}], random {re.Accuracy:P1} [{re.Lo:P1}, {re.Hi:P1}]");
        return new SelectItExperimentResult(separation, Clean(selectedIdx), Clean(randomIdx), se, re);
    }
}
