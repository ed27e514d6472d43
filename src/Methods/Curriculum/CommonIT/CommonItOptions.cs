using Engine.Runtime;

namespace Engine.Methods.Curriculum.CommonIT;

/// <summary>What makes two records belong to the same CommonIT group.</summary>
public enum GroupingMetric
{
    /// <summary>A record field (default <c>task</c>): the task or source data set.</summary>
    Task,
    /// <summary>Response length in tokens of the training tokenizer, cut into bins.</summary>
    Length,
    /// <summary>The reference label whose embedding is nearest to the record's prompt embedding.</summary>
    Embedding,
}

/// <summary>How response lengths are cut into bins.</summary>
public enum LengthBinning
{
    /// <summary>Equal-frequency bins (records of one length never straddle two bins); the default.</summary>
    Quantile,
    /// <summary>[min, max] cut into equal intervals (the literal "evenly by interval").</summary>
    EqualWidth,
}

/// <summary>How a record's embedding picks its reference label.</summary>
public enum EmbeddingAssignment
{
    /// <summary>The label whose centroid (mean of its reference records' normalised embeddings) is most cosine-similar.</summary>
    Centroid,
    /// <summary>The label of the single most similar reference record (the paper's 1-NN over MMLU dev questions).</summary>
    NearestItem,
}

/// <summary>
/// CommonIT grouping. Defaults: group by the <c>task</c> field; length: 8 quantile bins; embedding: nearest centroid of
/// the reference labels, final hidden states mean-pooled; groups smaller than 8 records (one batch of the SFT default)
/// are merged into their nearest neighbour.
/// </summary>
public sealed record CommonItOptions
{
    public GroupingMetric By { get; init; } = GroupingMetric.Task;
    /// <summary>Task: the record field that names the group.</summary>
    public string Field { get; init; } = "task";
    /// <summary>Length: number of bins before merging.</summary>
    public int Groups { get; init; } = 8;
    public LengthBinning Binning { get; init; } = LengthBinning.Quantile;
    /// <summary>Groups with fewer records are merged into their nearest group (set it to the step batch size: batch × accumulation).</summary>
    public int MinGroupSize { get; init; } = 8;
    /// <summary>Length: the model being trained (its tokenizer and chat template count the response tokens). Embedding: the encoder.</summary>
    public string? Model { get; init; }
    /// <summary>Embedding: records (any SFT format) carrying a label field; their prompts anchor the groups.</summary>
    public string? Reference { get; init; }
    /// <summary>Embedding: the reference records' label field.</summary>
    public string ReferenceField { get; init; } = "task";
    public EmbeddingAssignment Assignment { get; init; } = EmbeddingAssignment.Centroid;
    /// <summary>Embedding: transformers' hidden_states index to pool (null: the final hidden states).</summary>
    public int? Layer { get; init; }
    /// <summary>Embedding: prompts are cut to this many tokens.</summary>
    public int MaxTokens { get; init; } = 512;
    public int BatchSize { get; init; } = 32;
    public Device Device { get; init; } = Device.Cpu;
    /// <summary>The field the output records get their group name in (what <c>engine sft --sampler group</c> reads).</summary>
    public string GroupField { get; init; } = "group";

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Field)) throw new ArgumentException("CommonIT: the task field name is empty.");
        if (Groups < 1) throw new ArgumentException($"CommonIT: the number of length groups must be ≥ 1, got {Groups}.");
        if (MinGroupSize < 1) throw new ArgumentException($"CommonIT: the minimum group size must be ≥ 1, got {MinGroupSize}.");
        if (BatchSize < 1 || MaxTokens < 1) throw new ArgumentException("CommonIT: batch size and max tokens must be ≥ 1.");
        if (string.IsNullOrWhiteSpace(GroupField)) throw new ArgumentException("CommonIT: the output group field name is empty.");
        if (By is GroupingMetric.Length or GroupingMetric.Embedding && string.IsNullOrWhiteSpace(Model))
            throw new ArgumentException($"CommonIT: grouping by {By.ToString().ToLowerInvariant()} needs a model (the {(By == GroupingMetric.Length ? "training model's tokenizer" : "encoder")}).");
        if (By == GroupingMetric.Embedding && string.IsNullOrWhiteSpace(Reference))
            throw new ArgumentException("CommonIT: grouping by embedding needs a reference file (labelled records whose prompts anchor the groups).");
    }
}
