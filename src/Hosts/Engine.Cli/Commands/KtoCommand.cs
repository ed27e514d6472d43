using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Methods.Training.Observability;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Preference;
using Engine.Models.Transformer;

namespace Engine.Cli.Commands;

/// <summary>`engine kto`: Kahneman–Tversky Optimisation on unpaired desirable/undesirable completions.</summary>
public static class KtoCommand
{
    public static Command Create()
    {
        var o = new TrainingCliOptions();
        var beta = new Option<double>("--beta") { Description = "KTO β.", DefaultValueFactory = _ => 0.1 };
        var wd = new Option<double>("--desirable-weight") { Description = "λ_D, weight of desirable examples' losses.", DefaultValueFactory = _ => 1.0 };
        var wu = new Option<double>("--undesirable-weight") { Description = "λ_U, weight of undesirable examples' losses.", DefaultValueFactory = _ => 1.0 };
        var reference = new Option<string?>("--reference-model") { Description = "Separate reference model folder. Default: with --lora the base with adapters disabled, else the initial model (log-probs cached before training)." };
        var perBatch = new Option<bool>("--no-precompute-reference") { Description = "Compute reference log-probs every batch instead of once before training (needs --lora or --reference-model)." };
        var cmd = new Command("kto", "KTO on prompt/completion/label records (label true = desirable). The KL reference point z0 is estimated over each optimizer step (all --grad-accum micro-batches) from mismatched prompt/completion pairs, as TRL does over the global batch.")
        { beta, wd, wu, reference, perBatch };
        o.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var (bundle, trainable) = o.LoadModel(r);
            var tok = o.Tokenizer(r, bundle);
            var (train, eval) = o.LoadData<KtoExample>(r, (p, d) => TrainingDataset.LoadKto(p, tok, d),
                e => string.Join(',', e.PromptIds) + "|" + string.Join(',', e.CompletionIds) + "|" + e.Desirable);
            var refModel = r.GetValue(reference) is { } rp ? TransformerModel.Load(rp, bundle.Model.Device) : null;
            var kto = new KtoOptions { Beta = r.GetValue(beta), DesirableWeight = r.GetValue(wd), UndesirableWeight = r.GetValue(wu), PrecomputeReference = !r.GetValue(perBatch) };
            var trainer = new KtoTrainer(trainable, train, o.TrainerOptions(r, TrainingCliOptions.PadId(bundle)), kto, refModel, eval: eval);
            using var metrics = new MetricsLogger(r.GetValue(o.Output)!);
            trainer.Callbacks.Add(new RunBanner("kto"));
            trainer.Callbacks.Add(metrics);
            Console.Error.WriteLine($"kto: {train.Count} examples ({train.Count(e => e.Desirable)} desirable), {eval.Count} held out");
            var result = trainer.Train(r.GetValue(o.Resume));
            TrainingCliOptions.FinishOutput(r, o, bundle);
            Console.WriteLine($"trained {result.Steps} steps, final loss {result.FinalLoss:F4}{(result.FinalEval is { } e ? $", eval loss {e.Loss:F4}" : "")}; model in {result.OutputDir}");
            return 0;
        });
        return cmd;
    }
}
