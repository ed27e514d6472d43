using Engine.Runtime;

namespace Engine.Methods.Pruning.DRPruning;

/// <summary>
/// Everything one DRPruning run needs: the source model, the domain mixture, the target shape, the pruning and
/// continued-pre-training recipes and the domain controller. Defaults follow DRPruning's scripts and configs
/// (LLaMA-2-7B → 2.7B: 3,200 steps, global batch 32, lr 1e-4 with 10 % warm-up, lag_lr 1.0, Lagrangian warm-up 20 %,
/// AdamW β = (0.9, 0.95), ε 1e-8, no weight decay, clipping at 1.0; continued pre-training lr 1e-4 with 3 % warm-up).
/// </summary>
public sealed record DrPruningOptions
{
    /// <summary>Source Hugging Face model folder.</summary>
    public required string Model { get; init; }
    /// <summary>Domain-mixture files (every record has a "domain" field).</summary>
    public required IReadOnlyList<string> Data { get; init; }
    /// <summary>Held-out mixture for the controller's per-domain losses; null: hold out part of <see cref="Data"/>.</summary>
    public IReadOnlyList<string>? EvalData { get; init; }
    /// <summary>Records held out per domain when there is no <see cref="EvalData"/> (at most a tenth of a domain).</summary>
    public int EvalPerDomain { get; init; } = 100;
    /// <summary>JSON file with the target shape (Hugging Face config keys).</summary>
    public required string TargetConfig { get; init; }
    /// <summary>Output folder: prune/ (checkpoints, metrics), pruned/ (the dense model), continued/ (after CPT), report.json.</summary>
    public required string Output { get; init; }
    /// <summary>Initial proportions p0 by domain name; null: the training records' shares.</summary>
    public IReadOnlyDictionary<string, double>? Proportions { get; init; }
    /// <summary>Reference losses ℓ_R by domain name (DRO's initial ℓ_R; Sheared's fixed targets); null: none (0).</summary>
    public IReadOnlyDictionary<string, double>? ReferenceLoss { get; init; }
    public DomainControllerOptions Controller { get; init; } = new();

    public int Steps { get; init; } = 3200;
    public double LearningRate { get; init; } = 1e-4;
    /// <summary>lag_lr: the mask log α's learning rate; the λ's ascend with the same rate.</summary>
    public double MaskLearningRate { get; init; } = 1.0;
    public double WarmupRatio { get; init; } = 0.1;
    /// <summary>Fraction of the pruning steps over which the targets ramp up from 0 (<c>lagrangian_warmup_steps</c>).</summary>
    public double LagrangianWarmupRatio { get; init; } = 0.2;
    public int BatchSize { get; init; } = 8;
    public int GradientAccumulation { get; init; } = 4;
    public int MaxLength { get; init; } = 1024;
    public double MaxGradNorm { get; init; } = 1.0;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;
    public double AdamEpsilon { get; init; } = 1e-8;
    public ulong Seed { get; init; } = 42;
    public int SaveSteps { get; init; }
    public int SaveTotalLimit { get; init; }
    public int LogSteps { get; init; } = 10;

    /// <summary>Continued pre-training steps of the pruned model with the same controller (0 = none).</summary>
    public int ContinueSteps { get; init; }
    public double ContinueLearningRate { get; init; } = 1e-4;
    public double ContinueWarmupRatio { get; init; } = 0.03;

    /// <summary>Fold the hidden mask into the LM head a second time, as LLM-Shearing's released models did.</summary>
    public bool ReplicateLmHeadDoubleScaling { get; init; }
    public Device Device { get; init; } = Device.Cpu;
    /// <summary>Compute precision; null: the device's default.</summary>
    public ComputePrecision? Precision { get; init; }

    public void Validate()
    {
        if (Data.Count == 0) throw new ArgumentException("Give the domain mixture (--data).");
        if (Steps < 1) throw new ArgumentException($"Pruning needs at least one step, got {Steps}.");
        if (ContinueSteps < 0) throw new ArgumentException($"Continued pre-training steps must be ≥ 0, got {ContinueSteps}.");
        if (!(LearningRate >= 0) || !(MaskLearningRate > 0) || !(ContinueLearningRate >= 0))
            throw new ArgumentException("Learning rates must be ≥ 0 (the mask learning rate > 0).");
        if (WarmupRatio is < 0 or > 1 || LagrangianWarmupRatio is < 0 or > 1 || ContinueWarmupRatio is < 0 or > 1)
            throw new ArgumentException("Warm-up ratios must be in [0, 1].");
        if (EvalPerDomain < 1) throw new ArgumentException($"Hold out at least one record per domain, got {EvalPerDomain}.");
        if (BatchSize < 1 || GradientAccumulation < 1) throw new ArgumentException("Batch size and gradient accumulation must be ≥ 1.");
        if (MaxLength is < 0 or 1) throw new ArgumentException($"The maximum length must be 0 (none) or at least 2, got {MaxLength}.");
        Controller.Validate();
    }
}
