using System.CommandLine;
using System.Globalization;
using Engine.Methods.Evaluation.Experiments;

namespace Engine.Cli.Commands;

/// <summary>`engine prune experiment`: DRPruning against no-DRO and Sheared-style loading on a testbed domain mixture.</summary>
public static class PruneExperimentCommand
{
    public static Command Create()
    {
        var d = new DrPruningExperimentOptions();
        var work = new Option<string>("--work") { Description = "Working folder (data, source and ladder models, every arm's output).", Required = true };
        var mixture = new Option<string>("--mixture") { Description = "Testbed domains and their shares of the training mixture, domain:share comma-separated.", DefaultValueFactory = _ => d.Mixture };
        var n = new Option<int>("--n") { Description = "Training records in the mixture.", DefaultValueFactory = _ => d.N };
        var validation = new Option<int>("--validation-per-domain") { Description = "Held-out records per domain for the controller and the ladder's losses.", DefaultValueFactory = _ => d.ValidationPerDomain };
        var test = new Option<int>("--test-per-domain") { Description = "Test-split items per domain for the reported loss and accuracy.", DefaultValueFactory = _ => d.TestPerDomain };
        var sourceSteps = new Option<int>("--source-steps") { Description = "SFT steps of the source model and of each ladder model.", DefaultValueFactory = _ => d.SourceSteps };
        var pruneSteps = new Option<int>("--prune-steps") { Description = "Pruning steps of every arm.", DefaultValueFactory = _ => d.PruneSteps };
        var contSteps = new Option<int>("--continue-steps") { Description = "Continued pre-training steps of every arm.", DefaultValueFactory = _ => d.ContinueSteps };
        var updateEvery = new Option<int>("--update-every") { Description = "Controller interval in steps.", DefaultValueFactory = _ => d.UpdateEvery };
        var seeds = new Option<string>("--seeds") { Description = "Comma-separated seeds (each: new data, source, ladder and arms).", DefaultValueFactory = _ => string.Join(",", d.Seeds) };
        var md = new Option<string?>("--markdown") { Description = "Append the result tables to this markdown file." };
        var cmd = new Command("experiment", "Train a tiny source model on a testbed domain mixture with unequal shares, fit reference losses from a ladder of smaller models, "
            + "prune it to about half its non-embedding parameters with DRPruning, without DRO and with Sheared-style loading (same steps), and report worst-domain "
            + "and average held-out loss and accuracy over seeds.")
        { work, mixture, n, validation, test, sourceSteps, pruneSteps, contSteps, updateEvery, seeds, md };
        cmd.SetAction(r =>
        {
            var o = d with
            {
                Mixture = r.GetValue(mixture)!, N = r.GetValue(n), ValidationPerDomain = r.GetValue(validation), TestPerDomain = r.GetValue(test),
                SourceSteps = r.GetValue(sourceSteps), PruneSteps = r.GetValue(pruneSteps), ContinueSteps = r.GetValue(contSteps), UpdateEvery = r.GetValue(updateEvery),
                Seeds = r.GetValue(seeds)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(s => ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"--seeds: '{s}' is not a seed.")).ToArray(),
            };
            var results = DrPruningTestbedExperiment.Run(r.GetValue(work)!, o, m => Console.Error.WriteLine(m));
            var text = DrPruningExperimentReport.ToMarkdown(results);
            Console.WriteLine(text);
            if (r.GetValue(md) is { } path) File.AppendAllText(path, text + "\n");
            return 0;
        });
        return cmd;
    }
}
