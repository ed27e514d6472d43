using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Methods.Synthesis.AQuilt;
using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Observability;

namespace Engine.Cli.Commands;

/// <summary>
/// `engine aquilt train`: LoRA SFT of the synthesiser on both AQuilt formats — generation and inspection — in one
/// adapter (see docs/methods/aquilt.md for why one adapter rather than the release's two).
/// </summary>
public static class AQuiltTrainCommand
{
    public static Command Create()
    {
        var o = new TrainingCliOptions();
        // AQuilt's defaults: a LoRA on a base model (the released recipe's r = 64, alpha = 64 on every linear layer,
        // lr 1e-4, 3 epochs, cosine, warmup 0.1, cutoff 2048).
        o.Lora.DefaultValueFactory = _ => true;
        o.Lora.Description = "Train a LoRA adapter on the frozen base (default; --lora false trains every weight).";
        o.LoraRank.DefaultValueFactory = _ => 64;
        o.LoraAlpha.DefaultValueFactory = _ => 64;
        o.LoraTargets.DefaultValueFactory = _ => "all-linear";
        o.LearningRate.DefaultValueFactory = _ => 1e-4;
        o.Epochs.DefaultValueFactory = _ => 3;
        o.Schedule.DefaultValueFactory = _ => "cosine";
        o.WarmupRatio.DefaultValueFactory = _ => 0.1;
        o.MaxLength.DefaultValueFactory = _ => 2048;
        o.Data.Description = "Build records (JSONL, JSON or Parquet, or folders): text, task_type, qa_pair and, for inspection examples, analysis_steps and score "
            + "(`aquilt build` output, or `aquilt synthesize` + `aquilt inspect` output of a teacher). Samples without a pair or with a failed inspection are left out and counted.";
        var genMin = new Option<int>("--generation-min-score") { Description = "Scored samples below this are not generation examples (unscored samples always are).", DefaultValueFactory = _ => 3 };
        var noGeneration = new Option<bool>("--no-generation") { Description = "Train the inspection format only." };
        var noInspection = new Option<bool>("--no-inspection") { Description = "Train the generation format only." };
        var noBalance = new Option<bool>("--no-balance") { Description = "Do not balance the inspection examples over the five score levels (by default every level is down-sampled to the smallest)." };
        var levelCap = new Option<int?>("--level-cap") { Description = "Balance by capping each score level at this many inspection examples instead of down-sampling to the smallest level." };
        var prompts = AQuiltJobCommands.PromptsOption();
        var cmd = new Command("train", "Train the synthesiser: LoRA SFT on AQuilt's generation format (passage + task type → JSON question, thinking steps, answer) "
            + "and inspection format (passage + pair → JSON analysis and score) in one adapter; raw prompts, loss on the JSON. Checkpoints and --resume as in `engine sft`.")
        { genMin, noGeneration, noInspection, noBalance, levelCap, prompts };
        o.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var (bundle, trainable) = o.LoadModel(r);
            int? maxLength = r.GetValue(o.MaxLength) is > 0 and var m ? m : null;
            var dataOptions = new AQuiltTrainingDataOptions
            {
                GenerationMinScore = r.GetValue(genMin), Generation = !r.GetValue(noGeneration), Inspection = !r.GetValue(noInspection),
                BalanceLevels = !r.GetValue(noBalance), LevelCap = r.GetValue(levelCap), Seed = r.GetValue(o.Seed), Prompts = AQuiltJobCommands.Prompts(r, prompts),
            };
            var tokenizer = AQuiltTrainingData.Tokenizer(bundle, maxLength);
            var leftOut = new SortedDictionary<string, long>(StringComparer.Ordinal);
            var (train, eval) = o.LoadData<SftExample>(r, (paths, d) => AQuiltTrainingData.Load(paths, tokenizer, d, dataOptions, leftOut), TrainEvalSplit.KeyOf);
            if (leftOut.Count > 0) Console.Error.WriteLine("aquilt train: left out " + string.Join(", ", leftOut.Select(kv => $"{kv.Value} with {kv.Key}")));
            var trainer = new SftTrainer(trainable, train, o.TrainerOptions(r, TrainingCliOptions.PadId(bundle)), null, eval);
            using var metrics = new MetricsLogger(r.GetValue(o.Output)!);
            trainer.Callbacks.Add(new RunBanner("aquilt train"));
            trainer.Callbacks.Add(metrics);
            Console.Error.WriteLine($"aquilt train: {train.Count} examples, {eval.Count} held out; "
                + (trainable.Lora is null ? "full fine-tuning" : $"one LoRA adapter (r={trainable.Lora.Config.Rank}) for both formats"));
            var result = trainer.Train(r.GetValue(o.Resume));
            TrainingCliOptions.FinishOutput(r, o, bundle);
            Console.WriteLine($"trained {result.Steps} steps, final loss {result.FinalLoss:F4}; synthesiser in {result.OutputDir}");
            return 0;
        });
        return cmd;
    }
}
