using Engine.Methods.Evaluation.Experiments;
using System.CommandLine;
using System.Globalization;
using Engine.Methods.Selection.SelectIT;

namespace Engine.Cli.Commands;

/// <summary>`engine selectit experiment`: SelectIT on the testbed end to end, with a random-selection baseline.</summary>
public static class SelectItExperimentCommand
{
    public static Command Create()
    {
        var work = new Option<string>("--work") { Description = "Working folder (models, data, scores).", Required = true };
        var tasks = new Option<string>("--tasks") { Description = "Testbed families.", DefaultValueFactory = _ => "syllogism" };
        var n = new Option<int>("--n") { Description = "Records in the noisy data set.", DefaultValueFactory = _ => 1000 };
        var noise = new Option<double>("--noise") { Description = "Corrupted fraction.", DefaultValueFactory = _ => 0.3 };
        var ratio = new Option<double>("--ratio") { Description = "Fraction selected.", DefaultValueFactory = _ => 0.2 };
        var judgeSteps = new Option<int>("--judge-steps") { Description = "Training steps of the rating model.", DefaultValueFactory = _ => 300 };
        var studentSteps = new Option<int>("--student-steps") { Description = "SFT steps of each student.", DefaultValueFactory = _ => 300 };
        var evalN = new Option<int>("--eval-n") { Description = "Held-out items per student.", DefaultValueFactory = _ => 200 };
        var seed = new Option<ulong>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 1UL };
        var md = new Option<string?>("--markdown") { Description = "Append the result table to this markdown file." };
        var cmd = new Command("experiment", "Run SelectIT on noisy testbed data with a tiny rating model, report AUC, and compare SFT on SelectIT's selection with SFT on a random selection of the same size.")
        { work, tasks, n, noise, ratio, judgeSteps, studentSteps, evalN, seed, md };
        cmd.SetAction(r =>
        {
            var o = new SelectItExperimentOptions
            {
                Tasks = r.GetValue(tasks)!, N = r.GetValue(n), Noise = r.GetValue(noise), Ratio = r.GetValue(ratio),
                JudgeSteps = r.GetValue(judgeSteps), StudentSteps = r.GetValue(studentSteps), EvalN = r.GetValue(evalN), Seed = r.GetValue(seed),
            };
            var res = SelectItTestbedExperiment.Run(r.GetValue(work)!, o, m => Console.Error.WriteLine(m));
            var s = res.Separation;
            var text = string.Create(CultureInfo.InvariantCulture, $"""
                | tasks | n | noise | ratio | AUC (clean vs corrupted) | clean share: SelectIT / random | held-out acc. SelectIT 20% | held-out acc. random 20% |
                |---|---:|---:|---:|---:|---|---|---|
                | {o.Tasks} | {o.N} | {o.Noise:P0} | {o.Ratio:P0} | {s.Auc:F3} | {res.SelectedCleanShare:P1} / {res.RandomCleanShare:P1} | {res.SelectedEval.Accuracy:P1} [{res.SelectedEval.Lo:P1}, {res.SelectedEval.Hi:P1}] | {res.RandomEval.Accuracy:P1} [{res.RandomEval.Lo:P1}, {res.RandomEval.Hi:P1}] |

                """);
            Console.WriteLine(text);
            if (r.GetValue(md) is { } path) File.AppendAllText(path, text + "\n");
            return 0;
        });
        return cmd;
    }
}
