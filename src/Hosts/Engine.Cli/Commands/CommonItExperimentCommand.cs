using System.CommandLine;
using Engine.Methods.Evaluation.Experiments;

namespace Engine.Cli.Commands;

/// <summary>`engine commonit experiment`: CommonIT's groupings against random batching on a multi-family testbed pool.</summary>
public static class CommonItExperimentCommand
{
    public static Command Create()
    {
        var d = new CommonItExperimentOptions();
        var work = new Option<string>("--work") { Description = "Working folder (pool, base models, grouped data, trained models).", Required = true };
        var tasks = new Option<string>("--tasks") { Description = "Testbed families of the pool (comma list).", DefaultValueFactory = _ => d.Tasks };
        var n = new Option<int>("--n") { Description = "Pool size per seed (a third each of short, medium and long responses).", DefaultValueFactory = _ => d.N };
        var steps = new Option<int>("--steps") { Description = "SFT steps of every arm.", DefaultValueFactory = _ => d.Steps };
        var batch = new Option<int>("--batch-size") { Description = "Examples per step (and, by default, the minimum group size).", DefaultValueFactory = _ => d.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (cosine schedule, 5% warmup).", DefaultValueFactory = _ => d.LearningRate };
        var evalN = new Option<int>("--eval-n") { Description = "Held-out test-split items per seed (families balanced).", DefaultValueFactory = _ => d.EvalN };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Generation budget per held-out item.", DefaultValueFactory = _ => d.MaxNewTokens };
        var seeds = new Option<string>("--seeds") { Description = "Comma-separated seeds (pool, base model, data order, held-out items).", DefaultValueFactory = _ => string.Join(',', d.Seeds) };
        var arms = new Option<string>("--arms") { Description = "Comma list of arms: random (the baseline), task, length, embedding, or domain (groups by the testbed's coarser domain field).", DefaultValueFactory = _ => string.Join(',', d.Arms) };
        var lengthGroups = new Option<int>("--length-groups") { Description = "Quantile bins of response length.", DefaultValueFactory = _ => d.LengthGroups };
        var minGroup = new Option<int>("--min-group-size") { Description = "Minimum group size before merging (0 = the batch size).", DefaultValueFactory = _ => d.MinGroupSize };
        var refPerTask = new Option<int>("--reference-per-task") { Description = "Reference records per family (another seed) that anchor the embedding groups.", DefaultValueFactory = _ => d.ReferencePerTask };
        var encoder = new Option<string?>("--encoder") { Description = "Encoder of the embedding groups (a model folder). Default: each seed's untrained base model." };
        var hidden = new Option<int>("--hidden") { Description = "Hidden size of the tiny base model (intermediate = 2.5 × hidden).", DefaultValueFactory = _ => d.Size.Hidden };
        var layers = new Option<int>("--layers") { Description = "Layers of the tiny base model.", DefaultValueFactory = _ => d.Size.Layers };
        var md = new Option<string?>("--markdown") { Description = "Append the result tables to this markdown file." };
        var cmd = new Command("experiment", "Train the same tiny model for the same steps with random batches and with CommonIT batches (one group per batch) for each grouping, over several seeds; report held-out accuracy per family with bootstrap CIs.")
        { work, tasks, n, steps, batch, lr, evalN, maxNew, seeds, arms, lengthGroups, minGroup, refPerTask, encoder, hidden, layers, md };
        cmd.SetAction(r =>
        {
            int h = r.GetValue(hidden);
            var o = new CommonItExperimentOptions
            {
                Tasks = r.GetValue(tasks)!, N = r.GetValue(n), Steps = r.GetValue(steps), BatchSize = r.GetValue(batch), LearningRate = r.GetValue(lr),
                EvalN = r.GetValue(evalN), MaxNewTokens = r.GetValue(maxNew), Seeds = ExperimentArgs.Seeds(r.GetValue(seeds)!), Arms = ExperimentArgs.List(r.GetValue(arms)!),
                LengthGroups = r.GetValue(lengthGroups), MinGroupSize = r.GetValue(minGroup), ReferencePerTask = r.GetValue(refPerTask), Encoder = r.GetValue(encoder),
                Size = d.Size with { Hidden = h, Layers = r.GetValue(layers), Intermediate = h * 5 / 2 },
            };
            var res = CommonItTestbedExperiment.Run(r.GetValue(work)!, o, m => Console.Error.WriteLine(m));
            var text = ExperimentArgs.Header(ExperimentArgs.Describe(o.ToString(), o.Seeds, o.Arms)) + res.Markdown;
            Console.WriteLine(text);
            if (r.GetValue(md) is { } path) File.AppendAllText(path, text + "\n");
            return 0;
        });
        return cmd;
    }
}
