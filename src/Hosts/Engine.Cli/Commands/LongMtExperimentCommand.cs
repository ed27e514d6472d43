using System.CommandLine;
using System.Globalization;
using System.Text;
using Engine.Methods.Evaluation.Experiments;

namespace Engine.Cli.Commands;

/// <summary>`engine longmt experiment`: LongMT on the long-document testbed against its baselines, one seed per run.</summary>
public static class LongMtExperimentCommand
{
    public static Command Create()
    {
        var work = new Option<string>("--work") { Description = "Working folder (data, models, pairs).", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the documents, models and sampling.", DefaultValueFactory = _ => 1UL };
        var trainDocs = new Option<int>("--train-docs") { Description = "Training documents of the scripted SFT data.", DefaultValueFactory = _ => 40 };
        var sampleDocs = new Option<int>("--sample-docs") { Description = "Training documents the search samples pairs on.", DefaultValueFactory = _ => 16 };
        var evalDocs = new Option<int>("--eval-docs") { Description = "Held-out documents every arm translates.", DefaultValueFactory = _ => 12 };
        var sftSteps = new Option<int>("--sft-steps") { Description = "SFT steps on the scripted conversations.", DefaultValueFactory = _ => 500 };
        var dpoSteps = new Option<int>("--dpo-steps") { Description = "DPO steps on the MCTS pairs.", DefaultValueFactory = _ => 150 };
        var sims = new Option<int>("--simulations") { Description = "MCTS simulations per page.", DefaultValueFactory = _ => 12 };
        var md = new Option<string?>("--markdown") { Description = "Append the result table to this markdown file." };
        var cmd = new Command("experiment", "Teach a tiny model page translation and the selection format on scripted conversations, sample MCTS pairs, train DPO, and compare on held-out documents: whole document, pages without memory, the agent (greedy module choice), the agent after DPO (and all modules, for reference): chrF, entity consistency and ambiguous terms, with bootstrap CIs.")
        { work, seed, trainDocs, sampleDocs, evalDocs, sftSteps, dpoSteps, sims, md };
        cmd.SetAction(r =>
        {
            var o = new LongMtExperimentOptions
            {
                Seed = r.GetValue(seed), TrainDocs = r.GetValue(trainDocs), SampleDocs = r.GetValue(sampleDocs), EvalDocs = r.GetValue(evalDocs),
                SftSteps = r.GetValue(sftSteps), DpoSteps = r.GetValue(dpoSteps), Simulations = r.GetValue(sims),
            };
            var res = LongMtTestbedExperiment.Run(r.GetValue(work)!, o, m => Console.Error.WriteLine(m));
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture, $"Seed {o.Seed}: {res.ModulePairs} module-choice pairs; whole-document prompt + reference {res.WholeDocumentPromptTokens:F0} tokens on average for a context of {res.Context}; {res.Elapsed:mm\\:ss} wall.\n\n");
            sb.Append("| arm | chrF [95% CI] | entity consistency [95% CI] | terms in the right sense | modules / page |\n|---|---|---|---|---:|\n");
            foreach (var a in res.Arms)
            {
                var (c, cl, ch) = a.ChrF;
                var (e, el, eh) = a.Consistency;
                var (t, tl, th) = a.Terms;
                sb.Append(CultureInfo.InvariantCulture, $"| {a.Name} | {c:F1} [{cl:F1}, {ch:F1}] | {e:P1} [{el:P1}, {eh:P1}] | {t:P1} [{tl:P1}, {th:P1}] | {a.Docs.Average(d => d.ModulesPerPage):F2} |\n");
            }
            Console.WriteLine(sb.ToString());
            if (r.GetValue(md) is { } path) File.AppendAllText(path, sb + "\n");
            return 0;
        });
        return cmd;
    }
}
