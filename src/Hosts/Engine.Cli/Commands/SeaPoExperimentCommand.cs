using System.CommandLine;
using System.Globalization;
using Engine.Methods.Evaluation.Experiments;

namespace Engine.Cli.Commands;

/// <summary>`engine seapo experiment`: SeaPO on the testbed — self-injected vs programmatic negatives vs SFT-only, per error type.</summary>
public static class SeaPoExperimentCommand
{
    public static Command Create()
    {
        var d = new SeaPoExperimentOptions();
        var work = new Option<string>("--work") { Description = "Working folder (models, data, injections, KTO files), one sub-folder per seed.", Required = true };
        var tasks = new Option<string>("--tasks") { Description = "Testbed families; all three error kinds are told apart only where every reasoning step is an equation (arith, unit_convert).", DefaultValueFactory = _ => d.Tasks };
        var seeds = new Option<string>("--seeds") { Description = "Comma-separated seeds (one base model, injection run and set of arms each).", DefaultValueFactory = _ => string.Join(',', d.Seeds) };
        var baseN = new Option<int>("--base-n") { Description = "Task records the base is trained on (chain-of-thought).", DefaultValueFactory = _ => d.BaseN };
        var baseNoise = new Option<double>("--base-noise") { Description = "Share of the base's task records corrupted (wrong answer, logic error, hallucination in turn), so the base makes each error sometimes.", DefaultValueFactory = _ => d.BaseNoise };
        var teachN = new Option<int>("--teach-n") { Description = "Injection demonstrations (the testbed's (clean, kind) -> corrupted pairs in SeaPO's prompts) mixed into the base's training.", DefaultValueFactory = _ => d.TeachN };
        var ktoN = new Option<int>("--kto-n") { Description = "Clean records whose responses are the positives (and, injected, the negatives) of every arm.", DefaultValueFactory = _ => d.KtoN };
        var baseSteps = new Option<int>("--base-steps") { Description = "Most SFT steps of the base (exactly this many, cosine, when --base-min-accuracy is 0).", DefaultValueFactory = _ => d.BaseSteps };
        var baseMin = new Option<double>("--base-min-accuracy") { Description = "Train the base in chunks of --base-chunk-steps (each a cosine cycle: warm restarts) and stop at the first whose held-out validation accuracy reaches this (the method's base solves most of the task); 0 = fixed --base-steps.", DefaultValueFactory = _ => d.BaseMinAccuracy };
        var baseChunk = new Option<int>("--base-chunk-steps") { Description = "Steps per chunk of the base's band search.", DefaultValueFactory = _ => d.BaseChunkSteps };
        var armSteps = new Option<int>("--arm-steps") { Description = "Training steps of every arm (SFT-only and each KTO arm).", DefaultValueFactory = _ => d.ArmSteps };
        var armLr = new Option<double>("--arm-lr") { Description = "Learning rate of every arm (full fine-tuning of the tiny model).", DefaultValueFactory = _ => d.ArmLearningRate };
        var beta = new Option<double>("--beta") { Description = "KTO β.", DefaultValueFactory = _ => d.Beta };
        var evalN = new Option<int>("--eval-n") { Description = "Held-out items per arm and seed.", DefaultValueFactory = _ => d.EvalN };
        var arms = new Option<string?>("--arms") { Description = $"Comma-separated arms to run (default all: {string.Join(", ", SeaPoTestbedExperiment.AllArms)})." };
        var resume = new Option<bool>("--resume") { Description = "Reuse each seed's finished base model in --work and continue its injection job (refused if the injection options changed); the arms always run again." };
        var md = new Option<string?>("--markdown") { Description = "Append the result tables to this markdown file." };
        var cmd = new Command("experiment", "SeaPO on the testbed: a tiny base taught to inject errors, then SFT on positives vs KTO with programmatic negatives vs KTO with self-injected negatives (targeted per type and mixed), evaluated on held-out prompts per error kind.")
        { work, tasks, seeds, baseN, baseNoise, teachN, ktoN, baseSteps, baseMin, baseChunk, armSteps, armLr, beta, evalN, arms, resume, md };
        cmd.SetAction(r =>
        {
            var o = d with
            {
                Tasks = r.GetValue(tasks)!,
                Seeds = r.GetValue(seeds)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => ulong.Parse(s, CultureInfo.InvariantCulture)).ToArray(),
                BaseN = r.GetValue(baseN), BaseNoise = r.GetValue(baseNoise), TeachN = r.GetValue(teachN), KtoN = r.GetValue(ktoN),
                BaseSteps = r.GetValue(baseSteps), BaseMinAccuracy = r.GetValue(baseMin), BaseChunkSteps = r.GetValue(baseChunk), ArmSteps = r.GetValue(armSteps), ArmLearningRate = r.GetValue(armLr), Beta = r.GetValue(beta), EvalN = r.GetValue(evalN),
                Resume = r.GetValue(resume),
                Arms = r.GetValue(arms)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            };
            var res = SeaPoTestbedExperiment.Run(r.GetValue(work)!, o, m => Console.Error.WriteLine(m));
            var text = SeaPoExperimentReport.ToMarkdown(res);
            Console.WriteLine(text);
            if (r.GetValue(md) is { } path) File.AppendAllText(path, text + "\n");
            return 0;
        });
        return cmd;
    }
}
