using System.CommandLine;
using System.Text.Json;
using Engine.Cli.Infrastructure;
using Engine.Methods.Evaluation.Testbed;

namespace Engine.Cli.Commands;

/// <summary>`engine testbed eval`: exact-match accuracy of a model on held-out testbed items, with bootstrap CIs.</summary>
public static class TestbedEvalCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var device = CliOptions.Device();
        var tasks = new Option<string>("--tasks") { Description = "Comma list of families and/or domains, or 'all'.", DefaultValueFactory = _ => "all" };
        var n = new Option<int>("--n") { Description = "Items to evaluate.", DefaultValueFactory = _ => 300 };
        var difficulty = new Option<string>("--difficulty") { Description = "Difficulty N or range N-M within 1-3.", DefaultValueFactory = _ => "1" };
        var cot = new Option<bool>("--cot") { Description = "Items whose reference answers reason step by step." };
        var split = new Option<string>("--split") { Description = "test (held out, default) or train.", DefaultValueFactory = _ => "test" };
        var seed = new Option<ulong>("--seed") { Description = "Item seed.", DefaultValueFactory = _ => 1UL };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Longest answer generated.", DefaultValueFactory = _ => 48 };
        var batch = new Option<int>("--batch-size") { Description = "Prompts decoded together.", DefaultValueFactory = _ => 16 };
        var json = new Option<string?>("--json") { Description = "Write the report (overall and per-group accuracy with 95% CIs) as JSON here." };
        var md = new Option<string?>("--markdown") { Description = "Write the markdown table here (it is also printed)." };
        var items = new Option<string?>("--items") { Description = "Write every item's prompt id, expected and extracted answer, and output as JSONL here." };
        var perDomainLoss = new Option<bool>("--per-domain-loss") { Description = "Also report the held-out loss per domain: token-mean cross-entropy of the same items' reference responses (teacher forcing, loss on the response tokens), with bootstrap CIs, the worst domain and the mean over domains (in the markdown and under \"domain_loss\" in --json)." };
        var cmd = new Command("eval", "Generate answers to held-out testbed items greedily and report exact-match accuracy per task, domain and difficulty with bootstrap confidence intervals.")
        { model, device, tasks, n, difficulty, cot, split, seed, maxNew, batch, json, md, items, perDomainLoss };
        cmd.SetAction(r =>
        {
            var bundle = ModelResolver.Load(r.GetValue(model), r.GetValue(device)!);
            var (lo, hi) = TestbedOptions.ParseDifficulty(r.GetValue(difficulty)!);
            var o = new EvalOptions
            {
                Tasks = r.GetValue(tasks) is "all" ? TaskRegistry.All : TaskRegistry.Parse(r.GetValue(tasks)!),
                N = r.GetValue(n), MinDifficulty = lo, MaxDifficulty = hi, Cot = r.GetValue(cot), Seed = r.GetValue(seed),
                Split = r.GetValue(split) switch { "test" => TestbedSplit.Test, "train" => TestbedSplit.Train, var s => throw new ArgumentException($"--split must be test or train, not '{s}'.") },
                MaxNewTokens = r.GetValue(maxNew), BatchSize = r.GetValue(batch),
            };
            EvalReport report;
            using (var progress = new ProgressReporter("eval", o.N)) report = TestbedEvaluator.Evaluate(bundle, o, k => progress.Add(k));
            var text = report.ToMarkdown();
            var reportJson = report.ToJson();
            if (r.GetValue(perDomainLoss))
            {
                DomainLossReport losses;
                using (var progress = new ProgressReporter("loss", o.N)) losses = DomainLossEvaluator.Evaluate(bundle, o, k => progress.Add(k));
                text += "\n" + losses.ToMarkdown();
                reportJson["domain_loss"] = losses.ToJson();
            }
            Console.WriteLine(text);
            if (r.GetValue(json) is { } jp) File.WriteAllText(jp, reportJson.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            if (r.GetValue(md) is { } mp) File.WriteAllText(mp, text);
            if (r.GetValue(items) is { } ip)
                File.WriteAllLines(ip, report.Items.Select(i => JsonSerializer.Serialize(i, TestbedJson.Default.ItemResult)));
            return 0;
        });
        return cmd;
    }
}
