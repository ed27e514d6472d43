using Engine.Diagnostics.Cases.Sampling;
using Engine.Diagnostics.OpCases;
using Engine.Models.Generation;
using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Runtime.Cuda;
using Engine.Runtime.Cuda.Native;
using Engine.Tests.Models;

namespace Engine.Tests.Cuda;

/// <summary>
/// Entry points that run inside the isolated engine of <see cref="CudaEmulator"/> (called by reflection, first argument
/// the emulator library): the real CudaBackend / CudaDevice / CudaBlas code, with every CUDA call served by the emulator.
/// They return only framework types, which are shared with the calling test.
/// </summary>
public static partial class EmulatorInside
{
    private static CudaDevice Device0(string lib)
    {
        CudaLibraries.UseEmulator(lib);
        return CudaDevice.Get(0);
    }

    public static string DeviceName(string lib) => Device0(lib).Name;

    /// <summary>
    /// The op table's parity mode on the emulated device (cases matching <paramref name="filter"/>, all when empty), with
    /// allocations poisoned: [one "op \t shape \t error \t tolerance \t pass|FAIL|skipped" line per row, the names of the
    /// kernels launched so far on the device].
    /// </summary>
    public static object[] OpTable(string lib, ulong seed, string filter)
    {
        var dev = Device0(lib);
        dev.PoisonAllocations = true;
        try
        {
            var rows = ParityRunner.Run(Engine.Diagnostics.OpCases.OpTable.Matching(filter), Engine.Runtime.Device.Cuda(0), seed);
            return [rows.Select(r => r.Tsv).ToArray(), dev.LaunchCounts.Where(k => k.Value > 0).Select(k => k.Key).Order(StringComparer.Ordinal).ToArray()];
        }
        finally { dev.PoisonAllocations = false; }
    }

    /// <summary>
    /// A checkpoint fixture's forward on cuda:0 for a padded batch: the max relative logit error against the fixture's
    /// float64 PyTorch reference, and against the same forward on the CPU backend.
    /// </summary>
    public static double[] FixtureForward(string lib, string fixture) => FixtureForward(lib, fixture, DType.F32);

    private static double[] FixtureForward(string lib, string fixture, DType weights)
    {
        Device0(lib);
        var batch = FixtureBatch.Load(fixture);
        using var _ = Autograd.NoGrad();
        double[] Run(Device dev)
        {
            var model = TransformerModel.Load(TransformerParityTests.FixtureDir(fixture), dev, weights);
            return model.Forward(batch.IdsTensor(dev), batch.MaskTensor(dev)).To(Engine.Runtime.Device.Cpu).ToDoubleArray();
        }
        var gpu = Run(Engine.Runtime.Device.Cuda(0));
        var cpu = Run(Engine.Runtime.Device.Cpu);
        int v = gpu.Length / (batch.B * batch.T);
        return [batch.MaxRelativeError(gpu, v), batch.MaxRelativeError(gpu, v, cpu)];
    }

    /// <summary>Greedy decoding with the KV cache on cuda:0 (decode-shaped attention, Tq &lt; Tk): the token ids it produces.</summary>
    public static int[] FixtureGreedy(string lib, string fixture, int[] prompt, int newTokens)
    {
        Device0(lib);
        var model = TransformerModel.Load(TransformerParityTests.FixtureDir(fixture), Engine.Runtime.Device.Cuda(0));
        var gen = new TextGenerator(model, tokenizer: null);
        return gen.Generate([prompt], new SamplingOptions { MaxNewTokens = newTokens, EosTokenIds = [] })[0].TokenIds.ToArray();
    }

    /// <summary>A fixture loaded with bf16 weights: max relative logit error of cuda:0 vs the f64 reference, and vs the CPU (both bf16).</summary>
    public static double[] Bf16FixtureForward(string lib, string fixture) => FixtureForward(lib, fixture, DType.BF16);

    /// <summary>A few bf16 mixed-precision SFT steps of a toy model on cuda:0 and on the CPU: both loss curves.</summary>
    public static double[][] Bf16SftSteps(string lib, int steps)
    {
        Device0(lib);
        double[] Run(Device dev)
        {
            var model = TransformerModel.CreateRandom(Engine.Tests.Training.ToyTraining.Config(), 3, device: dev);
            var tm = new Engine.Methods.Training.TrainableModel(model);
            var r = new Engine.Methods.Training.SftTrainer(tm, Engine.Tests.Training.ToyTraining.ReverseTask(6), new Engine.Methods.Training.TrainerOptions
            {
                LearningRate = 1e-2, Schedule = Engine.Methods.Training.LrScheduleKind.Constant, BatchSize = 3, GradientAccumulation = 2, MaxSteps = steps,
                WeightDecay = 0, LogSteps = 0, Seed = 1, Precision = ComputePrecision.BF16,
            }).Train();
            return r.History.Select(h => h.Loss).ToArray();
        }
        return [Run(Engine.Runtime.Device.Cuda(0)), Run(Engine.Runtime.Device.Cpu)];
    }
    /// <summary>The table's sampling rows (vocabularies up to maxVocab) at <paramref name="threads"/> per row (0: the default).</summary>
    public static string[] SamplingParity(string lib, ulong seed, int maxVocab, int threads)
    {
        Device0(lib);
        CudaBackend.SampleBlockOverride = threads > 0 ? (uint)threads : null;
        try
        {
            var cases = Engine.Diagnostics.OpCases.OpTable.Matching("Sampling").Where(c => SamplingCases.Vocabularies.Any(v => v <= maxVocab && c.Shape.Contains($", {v}]")));
            return ParityRunner.Run(cases, Engine.Runtime.Device.Cuda(0), seed).Select(r => r.Tsv).ToArray();
        }
        finally { CudaBackend.SampleBlockOverride = null; }
    }

    /// <summary>Sampled generation (top-k, top-p, repetition penalty, a left-padded batch) on cuda:0: each row's ids, then each row's log-probs.</summary>
    public static object[] FixtureSampled(string lib, string fixture, int[][] prompts, ulong firstRow)
    {
        Device0(lib);
        var model = TransformerModel.Load(TransformerParityTests.FixtureDir(fixture), Engine.Runtime.Device.Cuda(0));
        var r = new TextGenerator(model, tokenizer: null).Generate(prompts, SampledOptions, firstRow: firstRow);
        return [r.Select(x => x.TokenIds).ToArray(), r.Select(x => x.LogProbs).ToArray()];
    }

    public static readonly SamplingOptions SampledOptions = new() { MaxNewTokens = 12, EosTokenIds = [], Temperature = 1.3, TopK = 30, TopP = 0.97, RepetitionPenalty = 1.4, Seed = 77 };
}
