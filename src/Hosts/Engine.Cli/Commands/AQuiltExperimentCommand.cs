using System.CommandLine;
using System.Globalization;
using Engine.Methods.Evaluation.Experiments;

namespace Engine.Cli.Commands;

/// <summary>`engine aquilt experiment`: AQuilt on the testbed, four student arms, several seeds.</summary>
public static class AQuiltExperimentCommand
{
    public static Command Create()
    {
        var d = new AQuiltExperimentOptions();
        var work = new Option<string>("--work") { Description = "Working folder (per seed: data, base model, synthesiser, synthetic data, students).", Required = true };
        var heldOut = new Option<string>("--held-out") { Description = "Fact domain held out: only its unlabelled passages reach the synthesiser.", DefaultValueFactory = _ => d.HeldOut };
        var train = new Option<string>("--train-domains") { Description = "Fact domains with labelled data (the synthesiser's build records and every student's base mix).", DefaultValueFactory = _ => d.TrainFamilies };
        var buildN = new Option<int>("--build-n") { Description = "Labelled instances per training domain for the synthesiser (each gives a clean and a damaged record).", DefaultValueFactory = _ => d.BuildPerFamily };
        var passages = new Option<int>("--passages") { Description = "Unlabelled held-out passages synthesised from (one sample each).", DefaultValueFactory = _ => d.Passages };
        var mixN = new Option<int>("--mix-n") { Description = "Gold records per training domain in every student's data.", DefaultValueFactory = _ => d.MixPerFamily };
        var synthSteps = new Option<int>("--synthesiser-steps") { Description = "SFT steps of the synthesiser (both formats).", DefaultValueFactory = _ => d.SynthesiserSteps };
        var studentSteps = new Option<int>("--student-steps") { Description = "SFT steps of every student (the same budget in every arm).", DefaultValueFactory = _ => d.StudentSteps };
        var batch = new Option<int>("--batch-size") { Description = "Batch size of every training run and of decoding.", DefaultValueFactory = _ => d.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (cosine schedule, 5% warmup).", DefaultValueFactory = _ => d.LearningRate };
        var evalN = new Option<int>("--eval-n") { Description = "Held-out test-split items per student.", DefaultValueFactory = _ => d.EvalN };
        var diversity = new Option<double?>("--diversity") { Description = "ROUGE-L threshold of the filtered arm's diversity rule (0 turns it off).", DefaultValueFactory = _ => d.Diversity };
        var seeds = new Option<int>("--seeds") { Description = "Seeds (each: its own base, synthesiser, data and students).", DefaultValueFactory = _ => d.Seeds };
        var seed = new Option<ulong>("--seed") { Description = "First seed.", DefaultValueFactory = _ => d.FirstSeed };
        var hidden = new Option<int>("--hidden") { Description = "Hidden size of the tiny models.", DefaultValueFactory = _ => d.Size.Hidden };
        var layers = new Option<int>("--layers") { Description = "Layers of the tiny models.", DefaultValueFactory = _ => d.Size.Layers };
        var md = new Option<string?>("--markdown") { Description = "Append the result tables to this markdown file." };
        var cmd = new Command("experiment", "AQuilt on the testbed: students SFT'd on a gold mix of other fact domains plus (a) nothing, (b) unfiltered synthetic data for the held-out domain, "
            + "(c) inspected + filtered synthetic data, (d) its gold data; same steps, several seeds, held-out accuracy with bootstrap CIs, and the share of synthetic answers the checker verifies before and after inspection.")
        { work, heldOut, train, buildN, passages, mixN, synthSteps, studentSteps, batch, lr, evalN, diversity, seeds, seed, hidden, layers, md };
        cmd.SetAction(r =>
        {
            var o = d with
            {
                HeldOut = r.GetValue(heldOut)!, TrainFamilies = r.GetValue(train)!, BuildPerFamily = r.GetValue(buildN), Passages = r.GetValue(passages),
                MixPerFamily = r.GetValue(mixN), SynthesiserSteps = r.GetValue(synthSteps), StudentSteps = r.GetValue(studentSteps), BatchSize = r.GetValue(batch),
                LearningRate = r.GetValue(lr), EvalN = r.GetValue(evalN), Diversity = r.GetValue(diversity) is { } dv && dv > 0 ? dv : null,
                Seeds = r.GetValue(seeds), FirstSeed = r.GetValue(seed), Size = d.Size with { Hidden = r.GetValue(hidden), Layers = r.GetValue(layers) },
            };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = AQuiltTestbedExperiment.Run(r.GetValue(work)!, o, m => Console.Error.WriteLine(m));
            var text = result.ToMarkdown() + string.Create(CultureInfo.InvariantCulture, $"\nWall time: {clock.Elapsed:hh\\:mm\\:ss}.\n");
            Console.WriteLine(text);
            if (r.GetValue(md) is { } path) File.AppendAllText(path, text + "\n");
            return 0;
        });
        return cmd;
    }
}
