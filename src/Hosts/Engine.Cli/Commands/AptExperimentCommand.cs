using System.CommandLine;
using System.Globalization;
using Engine.Methods.Evaluation.Experiments;

namespace Engine.Cli.Commands;

/// <summary>`engine apt experiment`: APT on the testbed against SFT on the same examples and against no training, over several seeds.</summary>
public static class AptExperimentCommand
{
    public static Command Create()
    {
        var d = new AptExperimentOptions();
        var work = new Option<string>("--work") { Description = "Working folder (per seed: base model, evaluation set, pool, the APT and SFT runs).", Required = true };
        var target = new Option<string>("--target") { Description = "Target domain or families (testbed names) whose bad cases APT mines.", DefaultValueFactory = _ => d.Target };
        var baseN = new Option<int>("--base-n") { Description = "General SFT records (all families) of the base model.", DefaultValueFactory = _ => d.BaseN };
        var baseShare = new Option<double>("--base-target-share") { Description = "Share of the base model's records drawn from the target alone (the rest from all families).", DefaultValueFactory = _ => d.BaseTargetShare };
        var baseSteps = new Option<int>("--base-steps") { Description = "Most SFT steps of the base model (exactly this many, cosine, when --base-min-accuracy is 0).", DefaultValueFactory = _ => d.BaseSteps };
        var baseMin = new Option<double>("--base-min-accuracy") { Description = "Train the base in chunks of --base-chunk-steps (constant lr) and stop at the first whose target validation accuracy reaches this (the method's 60–70 % base); 0 = fixed --base-steps.", DefaultValueFactory = _ => d.BaseMinAccuracy };
        var baseChunk = new Option<int>("--base-chunk-steps") { Description = "Steps per chunk of the base's band search.", DefaultValueFactory = _ => d.BaseChunkSteps };
        var evalN = new Option<int>("--eval-n") { Description = "Target-domain records APT mines.", DefaultValueFactory = _ => d.EvalN };
        var poolN = new Option<int>("--pool-n") { Description = "Retrieval pool size (all families).", DefaultValueFactory = _ => d.PoolN };
        var iterations = new Option<int>("--iterations") { Description = "APT rounds.", DefaultValueFactory = _ => d.Iterations };
        var epochs = new Option<int>("--round-epochs") { Description = "Passes over each round's training set (APT and the SFT baseline alike; APT's 5).", DefaultValueFactory = _ => d.RoundEpochs };
        var steps = new Option<int>("--round-steps") { Description = "Optimizer steps per round instead of --round-epochs (0 = use epochs).", DefaultValueFactory = _ => d.RoundSteps };
        var lr = new Option<double>("--lr") { Description = "Learning rate of each round (LoRA).", DefaultValueFactory = _ => d.LearningRate };
        var testN = new Option<int>("--test-n") { Description = "Held-out target-domain items per evaluation.", DefaultValueFactory = _ => d.TestN };
        var otherN = new Option<int>("--other-test-n") { Description = "Held-out items of the other domains per evaluation (retention).", DefaultValueFactory = _ => d.OtherTestN };
        var seeds = new Option<string>("--seeds") { Description = "Comma-separated seeds (one base model, data set and pair of runs each).", DefaultValueFactory = _ => "1,2,3" };
        var md = new Option<string?>("--markdown") { Description = "Append the result tables to this markdown file." };
        var cmd = new Command("experiment", "Measure APT on the testbed: a base model trained to a majority on the target domain, then K rounds of APT vs K rounds of SFT on the same selected examples vs no training; held-out accuracy on the target and the other domains per round, pooled over seeds with bootstrap CIs.")
        { work, target, baseN, baseShare, baseSteps, baseMin, baseChunk, evalN, poolN, iterations, epochs, steps, lr, testN, otherN, seeds, md };
        cmd.SetAction(r =>
        {
            var o = new AptExperimentOptions
            {
                Target = r.GetValue(target)!, BaseN = r.GetValue(baseN), BaseTargetShare = r.GetValue(baseShare), BaseSteps = r.GetValue(baseSteps), BaseMinAccuracy = r.GetValue(baseMin), BaseChunkSteps = r.GetValue(baseChunk), EvalN = r.GetValue(evalN), PoolN = r.GetValue(poolN),
                Iterations = r.GetValue(iterations), RoundEpochs = r.GetValue(epochs), RoundSteps = r.GetValue(steps), LearningRate = r.GetValue(lr), TestN = r.GetValue(testN),
                OtherTestN = r.GetValue(otherN),
                Seeds = r.GetValue(seeds)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => ulong.Parse(s, CultureInfo.InvariantCulture)).ToArray(),
            };
            var results = AptTestbedExperiment.Run(r.GetValue(work)!, o, m => Console.Error.WriteLine(m));
            var text = AptTestbedExperiment.ToMarkdown(results, o);
            Console.WriteLine(text);
            if (r.GetValue(md) is { } path) File.AppendAllText(path, text + "\n");
            return 0;
        });
        return cmd;
    }
}
