using Engine.Methods.Curriculum.CCL;
using Engine.Methods.Training;
using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Tests.Training;

namespace Engine.Tests.Cuda;

public static partial class EmulatorInside
{
    /// <summary>
    /// A few CCL steps (dropout and paraphrase views, two epochs, so two measurement passes) on cuda:0 and on the CPU with
    /// the same seeds, in f32: the loss curves, the step consistency, and the weights and consistencies of the last epoch.
    /// </summary>
    public static double[][] CclSteps(string lib)
    {
        Device0(lib);
        var train = ToyTraining.ReverseTask(8).Select(CclExample.Of).ToList();
        train[0] = train[0] with { View = ToyTraining.Sft("thecat.", "tac.") };
        var valid = ToyTraining.ReverseTask(3, 8).Select(CclExample.Of).ToList();
        var outputs = new List<double[]>();
        foreach (var dev in new[] { Engine.Runtime.Device.Cuda(0), Engine.Runtime.Device.Cpu })
        {
            var model = new TrainableModel(TransformerModel.CreateRandom(ToyTraining.Config(), 3, device: dev));
            var trainer = new CclTrainer(model, train, valid, new TrainerOptions
            {
                LearningRate = 1e-2, Schedule = LrScheduleKind.Constant, BatchSize = 4, MaxSteps = 4, LogSteps = 0, Seed = 1, Precision = ComputePrecision.F32,
            }, new CclOptions { Alpha = 0.5, Dropout = 0.2 });
            var r = trainer.Train();
            outputs.Add(r.History.Select(h => h.Loss).ToArray());
            outputs.Add(r.History.Select(h => h.Extra[CclTrainer.KlStepMetric]).ToArray());
            outputs.Add([.. trainer.Weights, .. trainer.Consistency]);
        }
        return [.. outputs];
    }
}
