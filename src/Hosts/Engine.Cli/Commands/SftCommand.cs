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
        var sampler = new Option<string>("--sampler") { Description = "Batch order: random (a seeded shuffle per epoch) or group (every optimizer step's batch from one \"group\" field value, CommonIT; groups from `engine commonit group`).", DefaultValueFactory = _ => "random" };
        var lossChunk = TrainingCliOptions.LossChunkTokens();
        var remainder = new Option<string>("--group-remainder") { Description = "With --sampler group: keep (a group's last, smaller batch is trained, so every record is seen each epoch) or drop (the released CommonIT code's drop_last).", DefaultValueFactory = _ => "keep" };
        var cmd = new Command("sft", "Supervised fine-tuning. Records: chat \"messages\", Alpaca instruction/input/output, prompt/completion, or \"text\"; "
            + "loss on completion tokens, weighted by an optional per-record \"weight\". Writes checkpoints, metrics and the final HF model to --output.") { sampler, remainder, lossChunk };
        o.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var (bundle, trainable) = o.LoadModel(r);
            var tok = o.Tokenizer(r, bundle);
            var (train, eval) = o.LoadData<SftExample>(r, (p, d) => TrainingDataset.LoadSft(p, tok, d), TrainEvalSplit.KeyOf);
            var opts = o.TrainerOptions(r, TrainingCliOptions.PadId(bundle)) with { LossChunkTokens = r.GetValue(lossChunk) };
            IBatchSampler? s = r.GetValue(sampler) switch
            {
                "random" => null,
                "group" => new GroupedBatchSampler(GroupsOf(train), opts.StepBatchSize, opts.Seed, r.GetValue(remainder) switch
                {
                    "keep" => GroupRemainder.Keep, "drop" => GroupRemainder.Drop,
                    var x => throw new ArgumentException($"--group-remainder must be keep or drop, not '{x}'."),
                }),
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

    private static string?[] GroupsOf(IReadOnlyList<SftExample> train)
    {
        var missing = train.Where(e => string.IsNullOrEmpty(e.Group)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"--sampler group: {missing.Count} training records have no \"group\" field (first: {missing[0].Id}); run `engine commonit group` first.");
        return train.Select(e => e.Group).ToArray();
    }
}
