using Engine.Methods.Pruning.DRPruning;
using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Models.Transformer;
using Engine.Runtime;
using static Engine.Tests.Training.ToyTraining;

namespace Engine.Tests.Pruning;

/// <summary>A three-domain toy mixture (reverse, copy, last letter) on the trainer tests' tiny GQA model, and a pruning run over it.</summary>
public static class PruningToys
{
    public static readonly string[] Domains = ["copy", "last", "reverse"];

    /// <summary>Examples and their domain ids: reverse is the big domain, last-letter the small one.</summary>
    public static (List<SftExample> Examples, int[] Domains) Mixture(int reverse = 18, int copy = 8, int last = 3, int offset = 0)
    {
        var ex = new List<SftExample>(); var d = new List<int>();
        for (int i = 0; i < reverse; i++) { var w = Words[(i + offset) % Words.Length]; ex.Add(Sft(w + ".", new string(w.Reverse().ToArray()) + ".")); d.Add(2); }
        for (int i = 0; i < copy; i++) { var w = Words[(i + offset + 3) % Words.Length]; ex.Add(Sft(w + ".", w + ".")); d.Add(0); }
        for (int i = 0; i < last; i++) { var w = Words[(i + offset + 7) % Words.Length]; ex.Add(Sft(w + ".", w[^1] + ".")); d.Add(1); }
        return (ex, d.ToArray());
    }

    /// <summary>The toy model (hidden 16, 2 layers, 4 query heads over 2 KV heads of 4, MLP 36) pruned to hidden 12, one KV group, MLP 20.</summary>
    public static TargetShape Target => new(HiddenSize: 12, NumHeads: 2, NumKvHeads: 1, NumLayers: 2, IntermediateSize: 20);

    public static DomainControllerOptions Controller => new()
    {
        UpdateEvery = 2, CollectFrom = 0, FitFrom = 0.25, RatioFrom = 0.25, MinPoints = 3, MaxPoints = 4,
    };

    public static TrainerOptions Options(string? dir, int steps, int saveSteps = 0) => new()
    {
        LearningRate = 1e-2, Schedule = LrScheduleKind.Constant, BatchSize = 3, GradientAccumulation = 2, MaxSteps = steps,
        SaveSteps = saveSteps, OutputDir = dir, LogSteps = 100, Seed = 21, Beta2 = 0.95,
    };

    /// <summary>A pruning trainer over a fresh copy of the toy model (same seed, same data every call).</summary>
    public static DrPruningTrainer Trainer(string? dir, int steps, int saveSteps = 0, DomainControllerOptions? controller = null, double[]? reference = null)
    {
        var model = Model(seed: 3);
        var (train, trainDomains) = Mixture();
        var (eval, evalDomains) = Mixture(4, 3, 2, offset: 5);
        var l0 = new L0Module(model.Config, Target, seed: 9, warmupSteps: 2);
        var c = new DomainController(controller ?? Controller, Domains, [8, 3, 18], reference ?? [1.5, 1.2, 2.5], forPruning: true, seed: 21);
        return new DrPruningTrainer(new TrainableModel(model), train, trainDomains, eval, evalDomains, Options(dir, steps, saveSteps), c, l0, maskLearningRate: 0.5);
    }

    public static double[] Flat(IEnumerable<Tensor> ts) => ts.SelectMany(t => t.ToDoubleArray()).ToArray();
}
