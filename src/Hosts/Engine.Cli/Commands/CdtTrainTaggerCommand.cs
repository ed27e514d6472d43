using System.CommandLine;
using System.Globalization;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Selection.CDT;

namespace Engine.Cli.Commands;

/// <summary>`engine cdt train-tagger`: fine-tune a local CDT tagger on records whose tags are known, and report its per-axis accuracy on held-out records.</summary>
public static class CdtTrainTaggerCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "Tagged records to learn from (\"tags\": {cognition, domain, task}), e.g. `engine testbed make --framings` output, whose tags are ground truth.", Required = true };
        var eval = new Option<string?>("--eval") { Description = "Tagged held-out records to measure accuracy on (e.g. `engine testbed make --split test --framings`). Default: --eval-fraction of --input, held out by a hash of the instruction." };
        var evalFraction = new Option<double>("--eval-fraction") { Description = "Share of --input held out for accuracy when --eval is not given.", DefaultValueFactory = _ => 0.1 };
        var output = new Option<string>("--output") { Description = "Folder for the tagger (a Hugging Face model folder; then tag with --teacher local:DIR and the same --prompt-style).", Required = true };
        var model = new Option<string?>("--model") { Description = "Base model folder to fine-tune. Default: a tiny model from random weights whose tokenizer is trained on the tagging conversations (about 0.1M parameters; minutes on a CPU)." };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps.", DefaultValueFactory = _ => 400 };
        var batch = new Option<int>("--batch-size") { Description = "Conversations per step (each record gives three: one per dimension).", DefaultValueFactory = _ => 16 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (cosine schedule, 5% warmup).", DefaultValueFactory = _ => 3e-3 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the tiny model's weights and of training.", DefaultValueFactory = _ => 1UL };
        var style = new Option<string>("--prompt-style") { Description = "compact (option names only: fits a tiny model's context) or full (with definitions). Tag with the same style.", DefaultValueFactory = _ => "compact" };
        var prompts = new Option<string?>("--prompts") { Description = "Your own prompts file (see `engine cdt tag --help`). Default: the built-in prompts." };
        var labels = CdtCommand.LabelsOption();
        var cmd = new Command("train-tagger", "Train a local CDT tagger: supervised fine-tuning on CDT's own tagging prompts with the known tags as answers, then per-axis accuracy on held-out records.")
        { input, eval, evalFraction, output, model, steps, batch, lr, seed, style, prompts, labels };
        cmd.SetAction(r =>
        {
            var set = CdtCommand.LoadLabels(r.GetValue(labels));
            var all = Read(r.GetValue(input)!, set);
            List<TaggedInstruction> train, heldOut;
            if (r.GetValue(eval) is { } e) (train, heldOut) = (all, Read(e, set));
            else
            {
                double f = r.GetValue(evalFraction);
                if (f is <= 0 or >= 1) throw new ArgumentException("--eval-fraction must be in (0, 1).");
                bool Held(TaggedInstruction x) => CdtRandom.Hash(x.Instruction) % 1_000_000UL < (ulong)(f * 1_000_000);
                (train, heldOut) = (all.Where(x => !Held(x)).ToList(), all.Where(Held).ToList());
            }
            if (train.Count == 0 || heldOut.Count == 0) throw new ArgumentException($"Need tagged records to train on and to hold out (have {train.Count} and {heldOut.Count}).");
            var o = new CdtTaggerRecipeOptions
            {
                Steps = r.GetValue(steps), BatchSize = r.GetValue(batch), LearningRate = r.GetValue(lr), Seed = r.GetValue(seed),
                Style = r.GetValue(style) switch
                {
                    "full" => CdtPromptStyle.Full, "compact" => CdtPromptStyle.Compact,
                    var x => throw new ArgumentException($"--prompt-style must be full or compact, not '{x}'."),
                },
            };
            var res = CdtTaggerRecipe.Train(r.GetValue(output)!, train, heldOut, o, r.GetValue(model), set,
                r.GetValue(prompts) is { } p ? CdtPrompts.Load(p) : null, m => Console.Error.WriteLine(m));
            var a = res.Accuracy;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"cdt tagger -> {res.ModelDir}: held-out accuracy on {a.N} records: cognition {a.Cognition:P1}, domain {a.Domain:P1}, task {a.Task:P1}, all three {a.All:P1} ({a.Untagged} untagged)"));
            Console.WriteLine($"tag with: engine cdt tag --teacher local:{res.ModelDir} --prompt-style {r.GetValue(style)} --input ... --output ...");
            return 0;
        });
        return cmd;
    }

    private static List<TaggedInstruction> Read(string path, CdtLabelSet labels)
    {
        var pool = CdtCommand.ReadPool(path, labels, skipBad: false);
        return pool.Records.Select((rec, i) => new TaggedInstruction(CdtInstruction.Of(rec), pool.Tags[i]))
            .Where(x => !string.IsNullOrWhiteSpace(x.Instruction) && CdtDimensions.All.Any(d => x.Tags[d].Count > 0)).ToList();
    }
}
