using Engine.Runtime;

namespace Engine.Methods.Synthesis.APT;

/// <summary>How similar cases are retrieved from the pool.</summary>
public enum AptRetrievalMethod
{
    /// <summary>APT's method: per error tag, a quota n_τ = max(1, ⌈w_τ·|E|·σ⌉) of the pool items with that tag, ranked by cosine to the tag's mean error embedding.</summary>
    Tag,
    /// <summary>Baseline: the top ⌈|E|·σ⌉ pool items by cosine to the mean of all error embeddings.</summary>
    Mean,
    /// <summary>Baseline: k-means (k = 10) on the error embeddings; per cluster the top ⌈n_c·σ⌉ pool items by cosine to its centroid.</summary>
    KMeans,
}

/// <summary>What a training round optimises.</summary>
public enum AptObjective
{
    /// <summary>APT: DPO (β) on the pairs plus α × the token-mean NLL of the chosen responses.</summary>
    DpoSft,
    /// <summary>Ablation baseline: SFT on the chosen responses of the same pairs (same examples, same budget).</summary>
    Sft,
}

/// <summary>
/// APT's settings. Defaults are the official code's (the paper's scripts) unless noted: bad case = judge score &lt; 3,
/// tag retrieval with σ = 1, DPO β 0.1 + 0.5·SFT, LoRA r 64 / α 16 / dropout 0.1 on every linear layer, lr 1e-6
/// linear with 3 % warmup, 5 epochs, 32 pairs per step, greedy mining of 512 tokens with the stop "\n\n\n\n".
/// The number of iterations is not in the released scripts; 3 is the recommended default.
/// </summary>
public sealed record AptOptions
{
    public int Iterations { get; init; } = 3;
    /// <summary>A record is a bad case when its judge score is below this (the official selector: &lt; 3).</summary>
    public int Threshold { get; init; } = 3;
    /// <summary>σ: similar cases per bad case (the scripts train on σ = 1).</summary>
    public double Scale { get; init; } = 1.0;
    public AptRetrievalMethod Retrieval { get; init; } = AptRetrievalMethod.Tag;
    /// <summary>Clusters of the k-means baseline (fewer when there are fewer bad cases).</summary>
    public int KMeansClusters { get; init; } = 10;
    /// <summary>Only bad cases whose <c>domain</c> is one of these drive retrieval (all bad cases still become pairs); null = all.</summary>
    public IReadOnlyList<string>? RetrievalDomains { get; init; }

    public AptObjective Objective { get; init; } = AptObjective.DpoSft;
    public double Beta { get; init; } = 0.1;
    public double SftAlpha { get; init; } = 0.5;
    public int LoraRank { get; init; } = 64;
    public double LoraAlpha { get; init; } = 16;
    public double LoraDropout { get; init; } = 0.1;
    public IReadOnlyList<string> LoraTargets { get; init; } = ["all-linear"];
    public double LearningRate { get; init; } = 1e-6;
    public double WarmupRatio { get; init; } = 0.03;
    public int Epochs { get; init; } = 5;
    /// <summary>When positive, each round trains this many steps instead of <see cref="Epochs"/>.</summary>
    public long MaxSteps { get; init; } = -1;
    public int BatchSize { get; init; } = 8;
    public int GradientAccumulation { get; init; } = 4;
    public int MaxLength { get; init; } = 2048;
    /// <summary>Checkpoint every N steps, so a killed round resumes from the last one (0 = only the final model).</summary>
    public int SaveSteps { get; init; } = 50;

    /// <summary>Mining: greedy decoding of the model's answer to each evaluation prompt.</summary>
    public int MaxNewTokens { get; init; } = 512;
    public IReadOnlyList<string> StopStrings { get; init; } = ["\n\n\n\n"];
    public int GenerationBatchSize { get; init; } = 8;

    /// <summary>Embeddings of the question only: mean-pooled hidden states of this model (null: the initial model, fixed across iterations, as APT's fixed encoder).</summary>
    public string? EmbedModel { get; init; }
    /// <summary>Hidden-state layer to pool (transformers' hidden_states index; null: the final layer).</summary>
    public int? EmbedLayer { get; init; }
    public int EmbedMaxTokens { get; init; } = 256;
    public int EmbedBatchSize { get; init; } = 32;

    public ulong Seed { get; init; } = 42;
    public Device Device { get; init; } = Device.Cpu;
    public bool SkipBadRecords { get; init; }
    /// <summary>Records per chunk of the record-job stages (written together; a crash loses at most one chunk).</summary>
    public int ChunkSize { get; init; } = 256;

    public void Validate()
    {
        if (Iterations < 1) throw new ArgumentException($"iterations must be ≥ 1, got {Iterations}.");
        if (Threshold is < 2 or > 5) throw new ArgumentException($"the bad-case threshold must be in 2..5 (a score below it is a bad case), got {Threshold}.");
        if (!(Scale > 0) || double.IsInfinity(Scale)) throw new ArgumentException($"the retrieval scale σ must be positive, got {Scale}.");
        if (KMeansClusters < 1) throw new ArgumentException($"k-means clusters must be ≥ 1, got {KMeansClusters}.");
        if (Beta <= 0) throw new ArgumentException($"β must be positive, got {Beta}.");
        if (SftAlpha < 0) throw new ArgumentException($"the SFT weight α must be ≥ 0, got {SftAlpha}.");
        if (LoraRank < 1 || LoraDropout is < 0 or >= 1 || LoraTargets.Count == 0) throw new ArgumentException("LoRA: rank ≥ 1, dropout in [0, 1), at least one target module.");
        if (LearningRate <= 0) throw new ArgumentException($"learning rate must be positive, got {LearningRate}.");
        if (Epochs < 1 && MaxSteps <= 0) throw new ArgumentException("give a positive number of epochs or max steps.");
        if (BatchSize < 1 || GradientAccumulation < 1) throw new ArgumentException("batch size and gradient accumulation must be ≥ 1.");
        if (MaxLength < 1) throw new ArgumentException($"max length must be ≥ 1, got {MaxLength}.");
        if (SaveSteps < 0) throw new ArgumentException($"save steps must be ≥ 0, got {SaveSteps}.");
        if (MaxNewTokens < 1 || GenerationBatchSize < 1) throw new ArgumentException("max new tokens and generation batch size must be ≥ 1.");
        if (EmbedMaxTokens < 1 || EmbedBatchSize < 1) throw new ArgumentException("embedding max tokens and batch size must be ≥ 1.");
        if (ChunkSize < 1) throw new ArgumentException($"chunk size must be ≥ 1, got {ChunkSize}.");
    }
}
