using Engine.Methods.Training;
using Engine.Runtime;
using Engine.Runtime.Cuda;
using Engine.Tests.Training;

namespace Engine.Tests.Cuda;

public static partial class EmulatorInside
{
    /// <summary>
    /// A head-dim-64 toy model under bf16 autocast: SFT losses on cuda:0 (attention through the bf16 flash kernels) and
    /// on the CPU (f32 attention, the same bf16 matmuls), then whether attention_flash.cu was loaded at all.
    /// </summary>
    public static object[] Bf16FlashSft(string lib, int steps)
    {
        var dev = Device0(lib);
        double[] Run(Device d)
        {
            var model = Engine.Models.Transformer.TransformerModel.CreateRandom(ToyTraining.Config(hidden: 256), 5, device: d);
            var r = new SftTrainer(new TrainableModel(model), ToyTraining.ReverseTask(6), new TrainerOptions
            {
                LearningRate = 1e-3, Schedule = LrScheduleKind.Constant, BatchSize = 3, MaxSteps = steps,
                WeightDecay = 0, LogSteps = 0, Seed = 1, Precision = ComputePrecision.BF16,
            }).Train();
            return r.History.Select(h => h.Loss).ToArray();
        }
        var cuda = Run(Engine.Runtime.Device.Cuda(0));
        var cpu = Run(Engine.Runtime.Device.Cpu);
        return [cuda, cpu, dev.KernelOrigins.ContainsKey("attention_flash.cu")];
    }
}
