using Engine.Methods.Training.Optimization;
using Engine.Models.Config;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Methods.Pruning.DRPruning;

/// <summary>
/// One group of hard-concrete gates: its log α (f32, trained), how many units of each row the target keeps, and its
/// Lagrange multipliers λ1, λ2 (scalars, trained by ascent).
/// </summary>
public sealed class L0Mask
{
    public required string Name { get; init; }
    /// <summary>[rows, n] or [n]: one log α per prunable unit.</summary>
    public required Tensor LogAlpha { get; init; }
    /// <summary>Units per row the target keeps (the eval mask of the export keeps exactly this many).</summary>
    public required int TargetSize { get; init; }
    public required Tensor Lambda1 { get; init; }
    public required Tensor Lambda2 { get; init; }
    /// <summary>Units per row.</summary>
    public int RowSize => LogAlpha.Size(-1);
    /// <summary>1 − target / row size: the sparsity this module must reach.</summary>
    public double TargetSparsity => 1.0 - (double)TargetSize / RowSize;
}

/// <summary>
/// LLM-Shearing's L0 module, as DRPruning trains it: four mask groups over a Llama-family model —
/// <c>hidden</c> [H], <c>head</c> [L, Hkv] (one gate per KV group: on MHA per head; on GQA a KV head with all its
/// query heads, so the ratio Hq/Hkv and a plain config survive), <c>intermediate</c> [L, I] and <c>layer</c> [L]
/// (the same gate on a layer's attention and MLP) — each with its own target size and Lagrange multipliers. Training
/// samples fresh gates per forward (<see cref="Sample"/>); the Lagrangian
/// Σ_m mean_rows[λ1_m·(ŝ_m − t_m(k)) + λ2_m·(ŝ_m − t_m(k))²] pulls each module's expected sparsity ŝ_m to its
/// target, ramped from 0 over the warm-up; evaluation and export use deterministic gates (<see cref="Deterministic"/>).
/// </summary>
public sealed class L0Module
{
    public ModelConfig Source { get; }
    public TargetShape Target { get; }
    public L0Mask Hidden { get; }
    public L0Mask Heads { get; }
    public L0Mask Intermediate { get; }
    public L0Mask Layer { get; }
    /// <summary>Philox stream of the training samples (registered with the trainer: exact resume).</summary>
    public Generator Noise { get; }
    /// <summary>Steps over which each module's target rises linearly from 0 (<c>lagrangian_warmup_steps</c>).</summary>
    public long WarmupSteps { get; }
    /// <summary>True when the head gates sit on KV groups of a GQA model (<see cref="StructuralMasks.KvHeads"/>).</summary>
    public bool GatesKvGroups => Source.NumKvHeads != Source.NumHeads;
    public IReadOnlyList<L0Mask> Masks => [Hidden, Heads, Intermediate, Layer];

    /// <summary>Prunable size of the source and of the target (attention and MLP matrices).</summary>
    public long SourceSize { get; }
    public long TargetSize { get; }
    /// <summary>The overall sparsity the target shape means, 1 − target/source size.</summary>
    public double TargetSparsity => PruningFormulas.Sparsity(SourceSize, TargetSize);

    public L0Module(ModelConfig source, TargetShape target, ulong seed, long warmupSteps, Device? device = null)
    {
        target.Validate(source);
        if (warmupSteps < 0) throw new ArgumentException($"Lagrangian warm-up must be ≥ 0 steps, got {warmupSteps}.");
        Source = source; Target = target; WarmupSteps = warmupSteps;
        var dev = device ?? Device.Cpu;
        int l = source.NumLayers;
        Hidden = NewMask("hidden", [source.HiddenSize], target.HiddenSize, seed, 1, dev);
        Heads = NewMask("head", [l, source.NumKvHeads], target.NumKvHeads, seed, 2, dev);
        Intermediate = NewMask("intermediate", [l, source.IntermediateSize], target.IntermediateSize, seed, 3, dev);
        Layer = NewMask("layer", [l], target.NumLayers, seed, 4, dev);
        Noise = new Generator(seed ^ 0x4C30_4D41_534BUL);
        SourceSize = TargetShape.Of(source).PrunableSize(source.HeadDim);
        TargetSize = target.PrunableSize(source.HeadDim);
    }

    /// <summary>log α ~ N(5, 0.01²) (LLM-Shearing overwrites its droprate formula with 5), λ = 0.</summary>
    private static L0Mask NewMask(string name, int[] shape, int targetSize, ulong seed, ulong stream, Device dev)
    {
        Tensor la;
        using (Autograd.NoGrad()) la = Ops.AddScalar(Tensor.RandN(shape, seed * 31 + stream, 0.01), 5.0).Contiguous();
        Tensor Zero() => Tensor.Zeros([1], DType.F32, dev);
        return new L0Mask { Name = name, LogAlpha = dev.IsCpu ? la : la.To(dev), TargetSize = targetSize, Lambda1 = Zero(), Lambda2 = Zero() };
    }

    /// <summary>The mask log α's as a descending parameter group (DRPruning: lr = lag_lr, Adam, no decay).</summary>
    public ParameterGroup MaskGroup(double learningRate) => new()
    {
        Name = "l0_masks", LearningRate = learningRate, Direction = OptimizeDirection.Minimize,
        Parameters = Masks.Select(m => new KeyValuePair<string, Tensor>(m.Name, m.LogAlpha)).ToList(),
    };

    /// <summary>The λ's as an ascending parameter group (DRPruning's lr = −lag_lr: max over the multipliers).</summary>
    public ParameterGroup LambdaGroup(double learningRate) => new()
    {
        Name = "l0_lambdas", LearningRate = learningRate, Direction = OptimizeDirection.Maximize,
        Parameters = Masks.SelectMany(m => new[]
        {
            new KeyValuePair<string, Tensor>("lambda_1_" + m.Name, m.Lambda1), new KeyValuePair<string, Tensor>("lambda_2_" + m.Name, m.Lambda2),
        }).ToList(),
    };

    /// <summary>log α ← clamp(log α, ln 0.01, ln 100), in place (before every forward).</summary>
    public void Constrain()
    {
        foreach (var m in Masks) Ops.HardConcreteClampLogAlpha(m.LogAlpha);
    }

    /// <summary>A training sample of every gate (fresh noise from <see cref="Noise"/>), differentiable in log α.</summary>
    public StructuralMasks Sample()
    {
        var z = Masks.Select(m => Ops.HardConcreteSample(m.LogAlpha, Noise)).ToArray();
        return ToStructural(z[0], z[1], z[2], z[3]);
    }

    /// <summary>
    /// Deterministic gates: survivors keep σ(1.2·log α), the smallest of each row are 0 — exactly the target count
    /// per row when <paramref name="exactTargets"/> (the export), else round(n − Σ score) (evaluation while training).
    /// </summary>
    public StructuralMasks Deterministic(bool exactTargets)
    {
        var z = Masks.Select(m => Ops.HardConcreteEvalMask(m.LogAlpha, exactTargets ? m.TargetSize : null)).ToArray();
        return ToStructural(z[0], z[1], z[2], z[3]);
    }

    private StructuralMasks ToStructural(Tensor hidden, Tensor heads, Tensor intermediate, Tensor layer) => new()
    {
        Hidden = hidden,
        Heads = GatesKvGroups ? null : heads,
        KvHeads = GatesKvGroups ? heads : null,
        Intermediate = intermediate,
        AttentionLayers = layer,
        MlpLayers = layer,
    };

    /// <summary>Module m's target at optimizer step <paramref name="step"/> (0-based), ramped over the warm-up.</summary>
    public double RampedTarget(L0Mask m, long step) => PruningFormulas.RampedTarget(m.TargetSparsity, step, WarmupSteps);

    /// <summary>The Lagrangian at step <paramref name="step"/>: a [1] tensor, differentiable in every log α and λ.</summary>
    public Tensor Lagrangian(long step)
    {
        Tensor? total = null;
        foreach (var m in Masks)
        {
            var s = Ops.HardConcreteExpectedSparsity(m.LogAlpha);
            var d = Ops.AddScalar(s.Rank == 0 ? s.Reshape(1) : s, -RampedTarget(m, step));
            var term = Ops.Add(Ops.Mul(m.Lambda1, Ops.Mean(d).Reshape(1)), Ops.Mul(m.Lambda2, Ops.Mean(Ops.Square(d)).Reshape(1)));
            total = total is null ? term : Ops.Add(total, term);
        }
        return total!;
    }

    /// <summary>P(z ≠ 0) of every gate of a mask, on the host.</summary>
    public double[] Scores(L0Mask m)
    {
        using var _ = Autograd.NoGrad();
        return Ops.HardConcreteScore(m.LogAlpha).ToDoubleArray();
    }

    /// <summary>Module m's expected sparsity per row (one value per layer for [L, ·] masks, one value otherwise).</summary>
    public double[] ExpectedSparsity(L0Mask m)
    {
        using var _ = Autograd.NoGrad();
        var s = Ops.HardConcreteExpectedSparsity(m.LogAlpha);
        return s.ToDoubleArray();
    }

    /// <summary>Expected prunable weights (<see cref="PruningFormulas.ExpectedParameters"/>) under the current log α.</summary>
    public double ExpectedParameters()
    {
        int l = Source.NumLayers;
        return PruningFormulas.ExpectedParameters(Scores(Hidden), To2D(Scores(Heads), l), To2D(Scores(Intermediate), l), Scores(Layer),
            Source.HeadDim, Source.NumHeads, Source.NumKvHeads);
    }

    /// <summary>1 − E[#params] / source size: logged, and the sparsity input of the dynamic reference loss.</summary>
    public double ExpectedOverallSparsity() => 1.0 - ExpectedParameters() / SourceSize;

    private static double[,] To2D(double[] v, int rows)
    {
        int cols = v.Length / rows;
        var m = new double[rows, cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) m[i, j] = v[i * cols + j];
        return m;
    }

    /// <summary>Values of the λ's on the host, by name.</summary>
    public IReadOnlyDictionary<string, double> Lambdas()
    {
        using var _ = Autograd.NoGrad();
        var d = new Dictionary<string, double>();
        foreach (var m in Masks) { d["lambda_1_" + m.Name] = m.Lambda1.Item(); d["lambda_2_" + m.Name] = m.Lambda2.Item(); }
        return d;
    }
}
