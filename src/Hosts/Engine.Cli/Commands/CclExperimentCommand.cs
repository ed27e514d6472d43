using System.CommandLine;
using Engine.Methods.Evaluation.Experiments;

namespace Engine.Cli.Commands;

/// <summary>`engine ccl experiment`: CCL against vanilla SFT and R-Drop on a multi-family testbed pool.</summary>
public static class CclExperimentCommand
{
    public static Command Create()
    {
        var d = new CclExperimentOptions();
        var work = new Option<string>("--work") { Description = "Working folder (pool, validation set, base models, trained models).", Required = true };
        var tasks = new Option<string>("--tasks") { Description = "Testbed families of the pool (comma list).", DefaultValueFactory = _ => d.Tasks };
        var n = new Option<int>("--n") { Description = "Training pool size per seed (a third each of short, medium and long responses).", DefaultValueFactory = _ => d.N };
        var validN = new Option<int>("--validation-n") { Description = "Validation records (another seed) that CCL's proficiency is measured on.", DefaultValueFactory = _ => d.ValidationN };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps of every arm.", DefaultValueFactory = _ => d.Steps };
        var batch = new Option<int>("--batch-size") { Description = "Examples per step.", DefaultValueFactory = _ => d.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (cosine schedule, 5% warmup).", DefaultValueFactory = _ => d.LearningRate };
        var evalN = new Option<int>("--eval-n") { Description = "Held-out test-split items per seed (families balanced).", DefaultValueFactory = _ => d.EvalN };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Generation budget per held-out item.", DefaultValueFactory = _ => d.MaxNewTokens };
        var seeds = new Option<string>("--seeds") { Description = "Comma-separated seeds (pool, base model, data order, dropout, held-out items).", DefaultValueFactory = _ => string.Join(',', d.Seeds) };
        var arms = new Option<string>("--arms") { Description = "Comma list of arms: vanilla (SFT, the baseline), rdrop (consistency, w ≡ 1), ccl.", DefaultValueFactory = _ => string.Join(',', d.Arms) };
        var alpha = new Option<double>("--alpha") { Description = "Consistency weight α of rdrop and ccl.", DefaultValueFactory = _ => d.Alpha };
        var lambda = new Option<double>("--lambda") { Description = "CCL's proficiency scale λ.", DefaultValueFactory = _ => d.Lambda };
        var dropout = new Option<double>("--dropout") { Description = "Residual dropout of every arm (vanilla included): what makes the two views differ.", DefaultValueFactory = _ => d.HiddenDropout };
        var attnDropout = new Option<double>("--attention-dropout") { Description = "Attention dropout of every arm (0 keeps the fused attention kernel; above 0 runs the slower composed path).", DefaultValueFactory = _ => d.AttentionDropout };
        var hidden = new Option<int>("--hidden") { Description = "Hidden size of the tiny base model (intermediate = 2.5 × hidden).", DefaultValueFactory = _ => d.Size.Hidden };
        var layers = new Option<int>("--layers") { Description = "Layers of the tiny base model.", DefaultValueFactory = _ => d.Size.Layers };
        var costReps = new Option<int>("--cost-reps") { Description = "Per seed, time this many alternating pairs of a one-view and a two-view forward + backward on the same batches (a step-cost ratio that a shared machine's changing load does not skew; 0 = skip).", DefaultValueFactory = _ => d.CostReps };
        var md = new Option<string?>("--markdown") { Description = "Append the result tables to this markdown file." };
        var cmd = new Command("experiment", "Train the same tiny model for the same steps with vanilla SFT, R-Drop and CCL over several seeds; report held-out accuracy per family with bootstrap CIs, CCL's per-epoch estimates and the step-time cost.")
        { work, tasks, n, validN, steps, batch, lr, evalN, maxNew, seeds, arms, alpha, lambda, dropout, attnDropout, hidden, layers, costReps, md };
        cmd.SetAction(r =>
        {
            int h = r.GetValue(hidden);
            var o = new CclExperimentOptions
            {
                Tasks = r.GetValue(tasks)!, N = r.GetValue(n), ValidationN = r.GetValue(validN), Steps = r.GetValue(steps), BatchSize = r.GetValue(batch),
                LearningRate = r.GetValue(lr), EvalN = r.GetValue(evalN), MaxNewTokens = r.GetValue(maxNew), Seeds = ExperimentArgs.Seeds(r.GetValue(seeds)!),
                Arms = ExperimentArgs.List(r.GetValue(arms)!), Alpha = r.GetValue(alpha), Lambda = r.GetValue(lambda), HiddenDropout = r.GetValue(dropout), AttentionDropout = r.GetValue(attnDropout),
                Size = d.Size with { Hidden = h, Layers = r.GetValue(layers), Intermediate = h * 5 / 2 }, CostReps = r.GetValue(costReps),
            };
            var res = CclTestbedExperiment.Run(r.GetValue(work)!, o, m => Console.Error.WriteLine(m));
            var text = ExperimentArgs.Header(ExperimentArgs.Describe(o.ToString(), o.Seeds, o.Arms)) + res.Markdown;
            Console.WriteLine(text);
            if (r.GetValue(md) is { } path) File.AppendAllText(path, text + "\n");
            return 0;
        });
        return cmd;
    }
}
