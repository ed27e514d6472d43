namespace Engine.Methods.Training;

public enum LrScheduleKind { Constant, Linear, Cosine }

/// <summary>What the final model folder holds when training used LoRA.</summary>
public enum FinalSaveMode { Merged, Adapter }

/// <summary>
/// Hyperparameters shared by every trainer, named as in transformers' TrainingArguments. Steps count
/// optimizer updates (one update = BatchSize × GradientAccumulation examples).
/// </summary>
public sealed record TrainerOptions
{
    public double LearningRate { get; init; } = 2e-5;
    public LrScheduleKind Schedule { get; init; } = LrScheduleKind.Linear;
    /// <summary>Warmup steps; when 0, <see cref="WarmupRatio"/> of the total steps (rounded up, as transformers does).</summary>
    public int WarmupSteps { get; init; }
    public double WarmupRatio { get; init; }
    public int Epochs { get; init; } = 1;
    /// <summary>When positive, stop after this many steps (and size the schedule by it), whatever <see cref="Epochs"/> says.</summary>
    public long MaxSteps { get; init; } = -1;
    /// <summary>Examples per forward/backward (micro-batch).</summary>
    public int BatchSize { get; init; } = 8;
    public int GradientAccumulation { get; init; } = 1;
    /// <summary>Clip the global gradient norm to this; 0 or less turns clipping off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Decoupled weight decay (AdamW); biases and norm weights are never decayed, as in transformers.</summary>
    public double WeightDecay { get; init; }
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double AdamEpsilon { get; init; } = 1e-8;
    public ulong Seed { get; init; } = 42;
    /// <summary>Evaluate on the held-out set every N steps (0 = only at the end, when there is a held-out set).</summary>
    public int EvalSteps { get; init; }
    public int EvalBatchSize { get; init; } = 8;
    /// <summary>Write &lt;OutputDir&gt;/checkpoint-&lt;step&gt; every N steps (0 = never).</summary>
    public int SaveSteps { get; init; }
    /// <summary>Keep only the newest K checkpoints (0 = keep all).</summary>
    public int SaveTotalLimit { get; init; }
    public int LogSteps { get; init; } = 10;
    public string? OutputDir { get; init; }
    /// <summary>Truncate sequences to this many tokens (0 = no limit).</summary>
    public int MaxLength { get; init; }
    /// <summary>Token id used to pad on the right (its labels are −100 and its keys are masked, so any id works).</summary>
    public int PadTokenId { get; init; }
    /// <summary>Drop the last incomplete batch of an epoch (the random sampler; by-group batches are always full).</summary>
    public bool DropLastBatch { get; init; }
    /// <summary>With LoRA, save the final model merged into the base (a full HF folder) or as a PEFT adapter.</summary>
    public FinalSaveMode FinalSave { get; init; } = FinalSaveMode.Merged;

    /// <summary>
    /// Compute precision: F32, or BF16 (f32 master weights and AdamW state, bf16 matmul operands with f32 accumulation,
    /// see <see cref="Engine.Runtime.Autocast"/>). Null: the model device's default (f32 on CPU, bf16 on CUDA).
    /// </summary>
    public Engine.Runtime.ComputePrecision? Precision { get; init; }

    /// <summary>
    /// transformers' <c>gradient_checkpointing</c>: each decoder layer keeps only its input and reruns its forward in the
    /// backward (<see cref="Engine.Models.Transformer.TransformerModel.GradientCheckpointing"/>): activation memory of one
    /// hidden vector per layer and token, for about a third more step time. Same gradients, bit for bit. Every trainer.
    /// </summary>
    public bool GradientCheckpointing { get; init; }

    /// <summary>
    /// SFT's loss only: when positive, the LM head and cross-entropy run this many positions at a time, fused
    /// (<see cref="Engine.Models.Transformer.TransformerModel.ChunkedCrossEntropy"/>), so the [tokens, vocab] logits and
    /// their gradient never exist at once, and the step context then has no <see cref="TrainingStepContext.Logits"/>;
    /// 0: the full logits (needed by a callback that reads them). Null (the default): the model decides
    /// (<see cref="Engine.Models.Transformer.TransformerModel.AutoLossChunkTokens"/>: 512 on the CPU in f32/f64 without
    /// autocast, where it was measured faster and lighter; else 0). Loss and gradients equal to rounding either way. DPO,
    /// KTO and CCL compute their losses from full logits and ignore it.
    /// </summary>
    public int? LossChunkTokens { get; init; }

    /// <summary>
    /// Data parallel (several processes): compare a checksum of every rank's parameters every N steps and at the end,
    /// failing on every rank if they differ (0 = never).
    /// </summary>
    public int ParameterCheckSteps { get; init; } = 100;

    /// <summary>
    /// ZeRO stage: 0 keeps the full AdamW state on every rank; 1 shards it (each rank updates 1/world of the model's
    /// parameters, after a reduce-scatter of the gradients, then all ranks gather the parameters), so AdamW memory falls as 1/world.
    /// </summary>
    public int ZeroStage { get; init; }

    /// <summary>
    /// Data parallel: start each gradient bucket's all-reduce during the step's last backward, as soon as its tensors
    /// are final, instead of after the backward (same sums either way). No effect in a world of one or with ZeRO-1.
    /// </summary>
    public bool OverlapGradientSync { get; init; } = true;

    /// <summary>Examples consumed by one optimizer step.</summary>
    public int StepBatchSize => BatchSize * GradientAccumulation;

    public void Validate()
    {
        if (LearningRate < 0) throw new ArgumentException($"learning rate must be ≥ 0, got {LearningRate}.");
        if (BatchSize <= 0) throw new ArgumentException($"batch size must be positive, got {BatchSize}.");
        if (GradientAccumulation <= 0) throw new ArgumentException($"gradient accumulation must be positive, got {GradientAccumulation}.");
        if (Epochs <= 0 && MaxSteps <= 0) throw new ArgumentException("Give a positive number of epochs or max steps.");
        if (WarmupSteps < 0 || WarmupRatio is < 0 or > 1) throw new ArgumentException("warmup steps must be ≥ 0 and warmup ratio in [0, 1].");
        if (LossChunkTokens is < 0) throw new ArgumentException($"loss chunk tokens must be ≥ 0 (0 = full logits), got {LossChunkTokens}.");
        if (ZeroStage is not (0 or 1)) throw new ArgumentException($"ZeRO stage must be 0 or 1, got {ZeroStage}.");
        if (ParameterCheckSteps < 0) throw new ArgumentException($"parameter check steps must be ≥ 0, got {ParameterCheckSteps}.");
        if (SaveSteps > 0 && string.IsNullOrEmpty(OutputDir)) throw new ArgumentException("save steps need an output directory.");
    }
}
