using System.CommandLine;
using System.Globalization;
using System.Text;
using Engine.Methods.Evaluation.Experiments;

namespace Engine.Cli.Commands;

/// <summary>`engine longmt experiment`: LongMT on the long-document testbed against its baselines, every seed, pooled.</summary>
public static class LongMtExperimentCommand
{
    public static Command Create()
    {
        var work = new Option<string>("--work") { Description = "Working folder (data, models, pairs).", Required = true };
        var seeds = new Option<string>("--seeds") { Description = "Comma-separated seeds; each seed draws new documents, a new model and new sampling, in <work>/seed-<s>.", DefaultValueFactory = _ => "1,2,3" };
        var trainDocs = new Option<int>("--train-docs") { Description = "Training documents of the scripted SFT data.", DefaultValueFactory = _ => 40 };
        var sampleDocs = new Option<int>("--sample-docs") { Description = "Training documents the search samples pairs on.", DefaultValueFactory = _ => 16 };
        var evalDocs = new Option<int>("--eval-docs") { Description = "Held-out documents every arm translates.", DefaultValueFactory = _ => 12 };
        var sftSteps = new Option<int>("--sft-steps") { Description = "SFT steps on the scripted conversations.", DefaultValueFactory = _ => 500 };
        var dpoSteps = new Option<int>("--dpo-steps") { Description = "DPO steps on the MCTS pairs.", DefaultValueFactory = _ => 150 };
        var sims = new Option<int>("--simulations") { Description = "MCTS simulations per page.", DefaultValueFactory = _ => 12 };
        var minPages = new Option<int>("--min-pages") { Description = "Fewest pages a document has.", DefaultValueFactory = _ => 4 };
        var maxPages = new Option<int>("--max-pages") { Description = "Most pages a document has.", DefaultValueFactory = _ => 6 };
        var batch = new Option<int>("--sft-batch") { Description = "SFT batch size (DPO uses half of it).", DefaultValueFactory = _ => 16 };
        var hidden = new Option<int>("--hidden") { Description = "Hidden size of the tiny model (4 heads, 2 KV heads).", DefaultValueFactory = _ => 96 };
        var layers = new Option<int>("--layers") { Description = "Layers of the tiny model.", DefaultValueFactory = _ => 3 };
        var inter = new Option<int>("--intermediate") { Description = "MLP width of the tiny model.", DefaultValueFactory = _ => 256 };
        var md = new Option<string?>("--markdown") { Description = "Append the result table to this markdown file." };
        var cmd = new Command("experiment", "Teach a tiny model page translation and the selection format on scripted conversations, sample MCTS pairs, train DPO, and compare on held-out documents: whole document, pages without memory, the agent (greedy module choice), the agent after DPO (and all modules, for reference): chrF, entity consistency and ambiguous terms, with bootstrap CIs.")
        { work, seeds, trainDocs, sampleDocs, evalDocs, sftSteps, dpoSteps, sims, minPages, maxPages, batch, hidden, layers, inter, md };
        cmd.SetAction(r =>
        {
            var list = r.GetValue(seeds)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(x => ulong.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"--seeds: '{x}' is not a seed.")).ToList();
            if (list.Count == 0) throw new ArgumentException("--seeds: at least one seed is needed.");
            var results = new List<LongMtExperimentResult>();
            var sb = new StringBuilder();
            foreach (var s in list)
            {
                var o = new LongMtExperimentOptions
                {
                    Seed = s, TrainDocs = r.GetValue(trainDocs), SampleDocs = r.GetValue(sampleDocs), EvalDocs = r.GetValue(evalDocs),
                    SftSteps = r.GetValue(sftSteps), DpoSteps = r.GetValue(dpoSteps), Simulations = r.GetValue(sims),
                    MinPages = r.GetValue(minPages), MaxPages = r.GetValue(maxPages), SftBatch = r.GetValue(batch),
                };
                o = o with { Size = o.Size with { Hidden = r.GetValue(hidden), Layers = r.GetValue(layers), Intermediate = r.GetValue(inter) } };
                var res = LongMtTestbedExperiment.Run(Path.Combine(r.GetValue(work)!, $"seed-{s}"), o, m => Console.Error.WriteLine($"[seed {s}] {m}"));
                results.Add(res);
                var table = LongMtExperimentReport.SeedTable(s, res);
                Console.WriteLine(table);
                sb.Append(table).Append('\n');
            }
            var pooled = LongMtExperimentReport.Pooled(results);
            Console.WriteLine(pooled);
            sb.Append(pooled).Append('\n');
            if (r.GetValue(md) is { } path) File.AppendAllText(path, sb.ToString());
            return 0;
        });
        return cmd;
    }
}
