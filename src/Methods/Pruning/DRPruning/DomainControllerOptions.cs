namespace Engine.Methods.Pruning.DRPruning;

/// <summary>How the domain mixture of the training batches is steered.</summary>
public enum MixtureController
{
    /// <summary>DRPruning: χ²-ball DRO towards the domains whose loss is furthest above its reference loss.</summary>
    Dro,
    /// <summary>Sheared-LLaMA's dynamic batch loading: exponentiated update towards fixed target losses.</summary>
    Sheared,
    /// <summary>Fixed proportions (LLM-Shearing's plain pruning): the mixture never changes.</summary>
    Constant,
}

/// <summary>Where the per-domain losses the controller reads come from.</summary>
public enum DomainLossSource
{
    /// <summary>Per-domain token-mean loss on the held-out mixture at each update (DRPruning's recommended "Eval").</summary>
    Eval,
    /// <summary>An EMA (α = <see cref="DomainControllerOptions.Ema"/>) of each training micro-batch's per-domain loss.</summary>
    Train,
}

/// <summary>The data-proportion controller's knobs (defaults: DRPruning's code and scripts).</summary>
public sealed record DomainControllerOptions
{
    public MixtureController Controller { get; init; } = MixtureController.Dro;
    public DomainLossSource LossSource { get; init; } = DomainLossSource.Eval;
    /// <summary>Run the controller every N optimizer steps (DRPruning evaluates every 50 of 3,200 pruning steps).</summary>
    public int UpdateEvery { get; init; } = 50;
    /// <summary>χ²-ball radius ρ.</summary>
    public double Rho { get; init; } = 0.1;
    /// <summary>Floor of q_k/p_k inside the ball (<c>min_prob</c>).</summary>
    public double MinProb { get; init; } = 0.2;
    /// <summary>Clamp the new weights to at least min_j p_j, then renormalise (<c>clamp_q_to_min</c>).</summary>
    public bool ClampToMin { get; init; } = true;
    /// <summary>Bisection tolerance on the divergence constraint, |D(η) − ρ| (the code's 1e-4).</summary>
    public double BisectionTolerance { get; init; } = 1e-4;
    public int BisectionMaxIter { get; init; } = 1000;
    /// <summary>EMA weight of the newest training loss (<see cref="DomainLossSource.Train"/>).</summary>
    public double Ema { get; init; } = 0.1;
    /// <summary>Start the training-loss EMA at the first observed loss instead of at 0 (the reference code starts at 0).</summary>
    public bool EmaWarmStart { get; init; } = true;
    /// <summary>Dynamic reference loss ("Dy"): refit the scaling law per domain and lower ℓ_R to its prediction.</summary>
    public bool DynamicReference { get; init; } = true;
    /// <summary>Dynamic reference ratio ("DyAll"): move the ball's centre p towards the DRO weights (δ = 0.1), clamped around p0.</summary>
    public bool DynamicRatio { get; init; } = true;
    /// <summary>δ of the reference-ratio update.</summary>
    public double RatioDelta { get; init; } = 0.1;
    /// <summary>Collect scaling-law points from this fraction of the steps on.</summary>
    public double CollectFrom { get; init; } = 0.02;
    /// <summary>Fit the scaling law (and start DRO when no reference loss was given) from this fraction of the steps on.</summary>
    public double FitFrom { get; init; } = 0.1;
    /// <summary>Update the reference ratio from this fraction of the steps on.</summary>
    public double RatioFrom { get; init; } = 0.2;
    /// <summary>A domain's law is fitted once it has more than this many points.</summary>
    public int MinPoints { get; init; } = 10;
    /// <summary>History kept per domain; past it, one of the <see cref="MaxPoints"/>/2 oldest points is dropped at random.</summary>
    public int MaxPoints { get; init; } = 64;
    /// <summary>Points with an expected sparsity below this are not collected (ln s is undefined at 0).</summary>
    public double MinSparsity { get; init; } = 1e-3;
    /// <summary>Sheared-LLaMA's step size η and smoothing c.</summary>
    public double ShearedEta { get; init; } = 1.0;
    public double ShearedSmoothing { get; init; } = 1e-4;

    public void Validate()
    {
        if (UpdateEvery < 1) throw new ArgumentException($"The controller's update interval must be ≥ 1 step, got {UpdateEvery}.");
        if (!(Rho > 0)) throw new ArgumentException($"ρ must be > 0, got {Rho}.");
        if (MinProb is < 0 or > 1 || double.IsNaN(MinProb)) throw new ArgumentException($"min_prob must be in [0, 1], got {MinProb}.");
        if (!(BisectionTolerance > 0)) throw new ArgumentException($"The bisection tolerance must be > 0, got {BisectionTolerance}.");
        if (Ema is <= 0 or > 1 || double.IsNaN(Ema)) throw new ArgumentException($"The EMA weight must be in (0, 1], got {Ema}.");
        if (RatioDelta is <= 0 or > 1 || double.IsNaN(RatioDelta)) throw new ArgumentException($"The reference-ratio δ must be in (0, 1], got {RatioDelta}.");
        if (MinPoints < 3) throw new ArgumentException($"A scaling-law fit needs at least 3 points, got a minimum of {MinPoints}.");
        if (MaxPoints <= MinPoints) throw new ArgumentException($"The point history ({MaxPoints}) must exceed the minimum for a fit ({MinPoints}).");
    }
}
