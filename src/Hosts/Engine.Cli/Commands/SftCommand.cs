using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Methods.Training.Observability;
using Engine.Methods.Training;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Sampling;

namespace Engine.Cli.Commands;

/// <summary>`engine sft`: supervised fine-tuning (full or LoRA) with resumable checkpoints.</summary>
public static class SftCommand
{
    public static Command Create()
    {
        var o = new TrainingCliOptions();
        var sampler = new Option<string>("--sampler") { Description = "Batch order: random (a seeded shuffle per epoch) or group (every batch from one \"group\" field value, CommonIT).", DefaultValueFactory = _ => "random" };
        var cmd = new Command("sft", "Supervised fine-tuning. Records: chat \"messages\", Alpaca instruction/input/output, prompt/completion, or \"text\"; "
            + "loss on completion tokens, weighted by an optional per-record \"weight\". Writes checkpoints, metrics and the final HF model to --output.") { sampler };
        o.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var (bundle, trainable) = o.LoadModel(r);
            var tok = o.Tokenizer(r, bundle);
            var (train, eval) = o.LoadData<SftExample>(r, (p, d) => TrainingDataset.LoadSft(p, tok, d), TrainEvalSplit.KeyOf);
            var opts = o.TrainerOptions(r, TrainingCliOptions.PadId(bundle));
            IBatchSampler? s = r.GetValue(sampler) switch
            {
                "random" => null,
                "group" => new GroupedBatchSampler(train.Select(e => e.Group).ToArray(), opts.StepBatchSize, opts.Seed),
                var x => throw new ArgumentException($"Unknown --sampler '{x}' (random, group)."),
            };
            var trainer = new SftTrainer(trainable, train, opts, s, eval);
            using var metrics = new MetricsLogger(r.GetValue(o.Output)!);
            trainer.Callbacks.Add(new RunBanner("sft"));
            trainer.Callbacks.Add(metrics);
            Console.Error.WriteLine($"sft: {train.Count} training examples, {eval.Count} held out; {(trainable.Lora is null ? "full fine-tuning" : $"LoRA r={trainable.Lora.Config.Rank} on {trainable.Lora.Layers.Count} layers")}");
            var result = trainer.Train(r.GetValue(o.Resume));
            TrainingCliOptions.FinishOutput(r, o, bundle);
            Console.WriteLine($"trained {result.Steps} steps, final loss {result.FinalLoss:F4}{(result.FinalEval is { } e ? $", eval loss {e.Loss:F4}" : "")}; model in {result.OutputDir}");
            return 0;
        });
        return cmd;
    }
}
