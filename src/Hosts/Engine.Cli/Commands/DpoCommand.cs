using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Methods.Training.Observability;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Preference;
using Engine.Models.Transformer;

namespace Engine.Cli.Commands;

/// <summary>`engine dpo`: Direct Preference Optimisation (sigmoid loss), optionally with APT's SFT term.</summary>
public static class DpoCommand
{
    public static Command Create()
    {
        var o = new TrainingCliOptions();
        var beta = new Option<double>("--beta") { Description = "DPO β (strength of the implicit KL to the reference).", DefaultValueFactory = _ => 0.1 };
        var alpha = new Option<double>("--sft-alpha") { Description = "Add α × the token-mean NLL of the chosen completions (APT uses 0.5; 0 = plain DPO).", DefaultValueFactory = _ => 0.0 };
        var reference = new Option<string?>("--reference-model") { Description = "Separate reference model folder. Default: with --lora the base with adapters disabled, else the initial model (log-probs cached before training)." };
        var perBatch = new Option<bool>("--no-precompute-reference") { Description = "Compute reference log-probs every batch instead of once before training (needs --lora or --reference-model)." };
        var cmd = new Command("dpo", "Direct Preference Optimisation on prompt/chosen/rejected records (strings or message lists). Logs rewards/chosen, rewards/rejected, rewards/margins, rewards/accuracies.")
        { beta, alpha, reference, perBatch };
        o.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var (bundle, trainable) = o.LoadModel(r);
            var tok = o.Tokenizer(r, bundle);
            var (train, eval) = o.LoadData<PreferenceExample>(r, (p, d) => TrainingDataset.LoadPreference(p, tok, d), TrainEvalSplit.KeyOf);
            var refModel = r.GetValue(reference) is { } rp ? TransformerModel.Load(rp, bundle.Model.Device) : null;
            var dpo = new DpoOptions { Beta = r.GetValue(beta), SftAlpha = r.GetValue(alpha), PrecomputeReference = !r.GetValue(perBatch) };
            var trainer = new DpoTrainer(trainable, train, o.TrainerOptions(r, TrainingCliOptions.PadId(bundle)), dpo, refModel, eval: eval);
            using var metrics = new MetricsLogger(r.GetValue(o.Output)!);
            trainer.Callbacks.Add(new RunBanner("dpo"));
            trainer.Callbacks.Add(metrics);
            Console.Error.WriteLine($"dpo: {train.Count} pairs, {eval.Count} held out; reference = {trainer.ReferenceDescription}");
            var result = trainer.Train(r.GetValue(o.Resume));
            TrainingCliOptions.FinishOutput(r, o, bundle);
            Console.WriteLine($"trained {result.Steps} steps, final loss {result.FinalLoss:F4}{(result.FinalEval is { } e ? $", eval loss {e.Loss:F4}" : "")}; model in {result.OutputDir}");
            return 0;
        });
        return cmd;
    }
}
