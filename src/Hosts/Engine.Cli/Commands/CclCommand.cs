using System.CommandLine;
using System.Globalization;
using Engine.Cli.Infrastructure;
using Engine.Methods.Curriculum.CCL;
using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Observability;

namespace Engine.Cli.Commands;

/// <summary>`engine ccl`: SFT with curriculum consistency learning (Liu et al., EMNLP 2024).</summary>
public static class CclCommand
{
    public static Command Create()
    {
        var o = new TrainingCliOptions();
        var alpha = new Option<double>("--alpha") { Description = "Weight α of the consistency term: L = mean_n w_n (NLL_n + α·KL_n).", DefaultValueFactory = _ => 1.0 };
        var lambda = new Option<double>("--lambda") { Description = "λ of the proficiency C = min(1, |mean KL(valid) − mean KL(train)| / λ) (0.8 reproduces the paper figure's example).", DefaultValueFactory = _ => 0.8 };
        var weighting = new Option<string>("--weighting") { Description = "curriculum (w = exp(1 − |C − S|) − 1, re-estimated every epoch) or uniform (w ≡ 1: R-Drop, the consistency baseline).", DefaultValueFactory = _ => "curriculum" };
        var difficulty = new Option<string>("--difficulty") { Description = "Difficulty S from an example's consistency loss L over the training set: min-over-max ((L − min)/max, the paper) or min-max ((L − min)/(max − min)).", DefaultValueFactory = _ => "min-over-max" };
        var firstEpoch = new Option<string>("--first-epoch") { Description = "measure (weights from the initial model) or uniform (w ≡ 1 for the first epoch as a warm-up).", DefaultValueFactory = _ => "measure" };
        var dropout = new Option<double?>("--dropout") { Description = "Attention and residual dropout that makes the second view differ. Default: the model's own rates, or 0.1 each when it has none." };
        var normalize = new Option<bool>("--normalize-weights") { Description = "Divide each step's weights by their mean (off: the paper's unnormalised loss, so the mean weight scales the step)." };
        var validFraction = new Option<double>("--valid-fraction") { Description = "Without --eval-data or --eval-split: the share of --data held out (deterministically) to measure the validation consistency.", DefaultValueFactory = _ => 0.02 };
        var paraphrase = new Option<string>("--paraphrase-field") { Description = "Record field with a paraphrased user turn: such records' second view is the paraphrased prompt with the same response (data-level consistency); others use the dropout view.", DefaultValueFactory = _ => "paraphrase" };
        var cmd = new Command("ccl", "SFT with curriculum consistency learning: two stochastic views per example (dropout, or a paraphrased prompt), a symmetric-KL "
            + "consistency term, and per-example weights from the example's difficulty and the model's proficiency, re-estimated before every epoch. "
            + "Records as for sft. Writes checkpoints (with the CCL state), metrics (ccl_w_mean/std, ccl_kl_mean/std, ccl_c per step) and the final model to --output.")
        { alpha, lambda, weighting, difficulty, firstEpoch, dropout, normalize, validFraction, paraphrase };
        o.AddTo(cmd);
        cmd.Subcommands.Add(CclExperimentCommand.Create());
        cmd.SetAction(r =>
        {
            var ccl = new CclOptions
            {
                Alpha = r.GetValue(alpha), Lambda = r.GetValue(lambda), Dropout = r.GetValue(dropout), NormalizeWeights = r.GetValue(normalize),
                ValidationFraction = r.GetValue(validFraction), ParaphraseField = r.GetValue(paraphrase)!,
                Weighting = r.GetValue(weighting) switch
                {
                    "curriculum" => CclWeighting.Curriculum, "uniform" => CclWeighting.Uniform,
                    var x => throw new ArgumentException($"--weighting must be curriculum or uniform, not '{x}'."),
                },
                Difficulty = r.GetValue(difficulty) switch
                {
                    "min-over-max" => DifficultyNormalization.MinOverMax, "min-max" => DifficultyNormalization.MinMax,
                    var x => throw new ArgumentException($"--difficulty must be min-over-max or min-max, not '{x}'."),
                },
                FirstEpoch = r.GetValue(firstEpoch) switch
                {
                    "measure" => CclFirstEpoch.Measure, "uniform" => CclFirstEpoch.Uniform,
                    var x => throw new ArgumentException($"--first-epoch must be measure or uniform, not '{x}'."),
                },
            };
            ccl.Validate();
            var (bundle, trainable) = o.LoadModel(r);
            var tok = o.Tokenizer(r, bundle);
            var (train, eval) = o.LoadData<CclExample>(r, (p, d) => CclData.Load(p, tok, d, ccl.ParaphraseField), e => TrainEvalSplit.KeyOf(e.Example));
            if (eval.Count == 0)
            {
                (train, eval) = TrainEvalSplit.Split(train, e => TrainEvalSplit.KeyOf(e.Example), ccl.ValidationFraction, "ccl-" + r.GetValue(o.Seed).ToString(CultureInfo.InvariantCulture));
                if (eval.Count == 0 || train.Count == 0)
                    throw new InvalidDataException($"--valid-fraction {ccl.ValidationFraction} of {train.Count + eval.Count} records leaves no validation (or no training) records; give --eval-data or a larger fraction.");
            }
            var opts = o.TrainerOptions(r, TrainingCliOptions.PadId(bundle));
            var trainer = new CclTrainer(trainable, train, eval, opts, ccl, eval: eval.Select(e => e.Example).ToList());
            using var metrics = new MetricsLogger(r.GetValue(o.Output)!, options: new MetricsLoggerOptions { PlotMetrics = [CclTrainer.WeightMeanMetric, CclTrainer.KlMeanMetric] });
            trainer.Callbacks.Add(new RunBanner("ccl"));
            trainer.Callbacks.Add(new EpochLine(trainer));
            trainer.Callbacks.Add(metrics);
            var views = train.Count(e => e.View is not null);
            Console.Error.WriteLine($"ccl: {train.Count} training examples ({views} with a paraphrase view), {eval.Count} validation; dropout attention {trainable.Model.AttentionDropout} / residual {trainable.Model.HiddenDropout}; "
                + $"α {ccl.Alpha}, λ {ccl.Lambda}, {ccl.Weighting.ToString().ToLowerInvariant()} weights");
            var result = trainer.Train(r.GetValue(o.Resume));
            TrainingCliOptions.FinishOutput(r, o, bundle);
            Console.WriteLine($"trained {result.Steps} steps, final loss {result.FinalLoss:F4}{(result.FinalEval is { } e ? $", eval loss {e.Loss:F4}" : "")}; model in {result.OutputDir}");
            return 0;
        });
        return cmd;
    }

    /// <summary>One line per epoch with what CCL measured.</summary>
    private sealed class EpochLine(CclTrainer trainer) : ITrainerCallback
    {
        public void OnEpochBegin(int epoch)
        {
            if (trainer.Epochs.Count == 0 || trainer.Epochs[^1] is not { Measured: true } e) return;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ccl epoch {epoch}: KL train {e.TrainConsistency:F4} (std {e.TrainConsistencyStd:F4}), valid {e.ValidConsistency:F4} → C {e.Proficiency:F3}; mean S {e.DifficultyMean:F3}; w mean {e.WeightMean:F3} (std {e.WeightStd:F3})"));
        }
    }
}
