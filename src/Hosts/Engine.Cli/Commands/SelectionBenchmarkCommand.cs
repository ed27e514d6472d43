using System.CommandLine;
using System.Globalization;
using Engine.Methods.Evaluation.Experiments;

namespace Engine.Cli.Commands;

/// <summary>`engine selection-benchmark` (also `engine cdt experiment`): random, full data, SelectIT, CDT diversity, CDT specific and SelectIT within CDT strata on one noisy multi-family pool.</summary>
public static class SelectionBenchmarkCommand
{
    public static Command Create(string name = "selection-benchmark")
    {
        var d = new SelectionBenchmarkOptions();
        string Families() => string.Join(",", d.Families.Zip(d.Weights, (f, w) => f + "=" + w.ToString(CultureInfo.InvariantCulture)));
        var work = new Option<string>("--work") { Description = "Working folder (tagger, per-seed base model, rating model, students, scores).", Required = true };
        var families = new Option<string>("--families") { Description = $"Pool families and their relative weights, family=weight comma list (unequal sizes on purpose). Default: {Families()}.", DefaultValueFactory = _ => Families() };
        var target = new Option<string>("--target") { Description = "The specific selector's target family (not one of --families): rare in the pool; a small tagged target set of it (another seed) is all the selector sees.", DefaultValueFactory = _ => d.Target };
        var targetShare = new Option<double>("--target-share") { Description = "The target family's share of the pool (0 holds it out of the pool entirely).", DefaultValueFactory = _ => d.TargetShare };
        var targetN = new Option<int>("--target-n") { Description = "Records in the target set.", DefaultValueFactory = _ => d.TargetSetN };
        var n = new Option<int>("--n") { Description = "Records in the pool.", DefaultValueFactory = _ => d.N };
        var noise = new Option<double>("--noise") { Description = "Corrupted fraction of the pool.", DefaultValueFactory = _ => d.Noise };
        var ratio = new Option<double>("--ratio") { Description = "Budget: the fraction every selecting arm keeps (round(n·ratio) records).", DefaultValueFactory = _ => d.Ratio };
        var seeds = new Option<string>("--seeds") { Description = "Comma list of seeds (pool, models, selections).", DefaultValueFactory = _ => "1,2,3" };
        var studentSteps = new Option<int>("--student-steps") { Description = "SFT steps of every student (the same for every arm, full data included).", DefaultValueFactory = _ => d.StudentSteps };
        var judgeSteps = new Option<int>("--judge-steps") { Description = "Training steps of SelectIT's rating model.", DefaultValueFactory = _ => d.JudgeSteps };
        var judgeN = new Option<int>("--judge-n") { Description = "Labelled records SelectIT's rating model learns from (another seed).", DefaultValueFactory = _ => d.JudgeN };
        var evalPer = new Option<int>("--eval-per-family") { Description = "Held-out test-split items per family per seed.", DefaultValueFactory = _ => d.EvalPerFamily };
        var tags = new Option<string>("--tags") { Description = "Tags the CDT arms use: tagger (train the local tagger and tag the pools with it) or truth (the testbed's ground truth).", DefaultValueFactory = _ => "tagger" };
        var taggerSteps = new Option<int>("--tagger-steps") { Description = "Training steps of the local tagger.", DefaultValueFactory = _ => d.Tagger.Steps };
        var taggerN = new Option<int>("--tagger-n") { Description = "Records the local tagger learns from (train split, another seed).", DefaultValueFactory = _ => d.TaggerN };
        var arms = new Option<string>("--arms") { Description = $"Comma list of arms to run: {string.Join(", ", SelectionBenchmarkOptions.AllArms)}.", DefaultValueFactory = _ => string.Join(",", SelectionBenchmarkOptions.AllArms) };
        var md = new Option<string?>("--markdown") { Description = "Append the result tables to this markdown file." };
        var cmd = new Command(name, "The selection benchmark: one noisy multi-family pool, one budget, one student recipe; random, full data, SelectIT, CDT diversity, CDT specific and SelectIT within CDT strata, over several seeds, with held-out accuracy (overall, per family, target family), clean share, coverage and balance of every selection.")
        { work, families, target, targetShare, targetN, n, noise, ratio, seeds, studentSteps, judgeSteps, judgeN, evalPer, tags, taggerSteps, taggerN, arms, md };
        cmd.SetAction(r =>
        {
            var pairs = r.GetValue(families)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p =>
            {
                var kv = p.Split('=', StringSplitOptions.TrimEntries);
                return kv.Length == 2 && double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var w) ? (kv[0], w)
                    : throw new ArgumentException($"--families: '{p}' is not family=weight.");
            }).ToList();
            var o = d with
            {
                Families = pairs.Select(p => p.Item1).ToArray(), Weights = pairs.Select(p => p.Item2).ToArray(),
                Target = r.GetValue(target)!, TargetShare = r.GetValue(targetShare), TargetSetN = r.GetValue(targetN),
                N = r.GetValue(n), Noise = r.GetValue(noise), Ratio = r.GetValue(ratio),
                Seeds = r.GetValue(seeds)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => ulong.Parse(s, CultureInfo.InvariantCulture)).ToArray(),
                StudentSteps = r.GetValue(studentSteps), JudgeSteps = r.GetValue(judgeSteps), JudgeN = r.GetValue(judgeN), EvalPerFamily = r.GetValue(evalPer),
                Tags = r.GetValue(tags) switch
                {
                    "tagger" => BenchmarkTagSource.Tagger, "truth" => BenchmarkTagSource.Truth,
                    var x => throw new ArgumentException($"--tags must be tagger or truth, not '{x}'."),
                },
                Tagger = d.Tagger with { Steps = r.GetValue(taggerSteps) }, TaggerN = r.GetValue(taggerN),
                Arms = r.GetValue(arms)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            };
            var result = SelectionBenchmark.Run(r.GetValue(work)!, o, m => Console.Error.WriteLine(m));
            var text = SelectionBenchmarkReport.ToMarkdown(result);
            Console.WriteLine(text);
            if (r.GetValue(md) is { } path) File.AppendAllText(path, text + "\n");
            return 0;
        });
        return cmd;
    }
}
