using Engine.Methods.Training;
using Engine.Models.Lora;
using Engine.Runtime;

namespace Engine.Methods.Speech.SelfPowered;

/// <summary>
/// <c>engine lsm train</c>: which models, which data, and how. The trainer defaults are the released code's (AdamW
/// lr 2e-5, weight decay 0.05, clipping at 1.0, 100 warmup steps then linear decay, 1 epoch, 384 examples per step);
/// the encoder and the LLM are frozen and the connector (LayerNorm, Q-Former, queries, projection) trains. Where we
/// deviate from the released code, which fine-tunes the whole LLM: the LLM stays frozen, or trains LoRA adapters
/// (<see cref="Lora"/>).
/// </summary>
public sealed record SelfPoweredTrainOptions
{
    /// <summary>The LLM's Hugging Face folder (unchanged by training).</summary>
    public required string Llm { get; init; }
    /// <summary>The Whisper folder whose encoder is used (frozen).</summary>
    public required string Encoder { get; init; }
    public required IReadOnlyList<string> Data { get; init; }
    public IReadOnlyList<string>? EvalData { get; init; }
    public required string Output { get; init; }
    public SpeechPromptFormat Format { get; init; } = SpeechPromptFormat.Vicuna;
    /// <summary>Connector shape; widths (encoder, LLM) are filled from the models. Default: the method's (BERT-base Q-Former, 2 layers, 1 query, 17-frame windows).</summary>
    public Engine.Models.Speech.SpeechConnectorConfig Connector { get; init; } = new();
    /// <summary>Start from this connector folder instead of a random one.</summary>
    public string? InitConnector { get; init; }
    /// <summary>LoRA on the LLM (null: the LLM is frozen).</summary>
    public LoraConfig? Lora { get; init; }
    /// <summary>Keep targets of more than this many tokens (with the end token): the released code's 5.</summary>
    public int MinTargetTokens { get; init; } = 5;
    /// <summary>…and fewer than this many: the released code's 2048.</summary>
    public int MaxTargetTokens { get; init; } = 2048;
    /// <summary>Keep each clip's encoder states in memory after its first use (fast on small data; memory ≈ clips × frames × width × 4 bytes).</summary>
    public bool CacheInMemory { get; init; }
    public bool SkipBadRecords { get; init; }
    public bool Resume { get; init; }
    public Device Device { get; init; } = Device.Cpu;
    public TrainerOptions Trainer { get; init; } = PaperTrainer;

    /// <summary>The released code's optimisation settings on one device (12 × 32 accumulation = 384 per step).</summary>
    public static TrainerOptions PaperTrainer { get; } = new()
    {
        LearningRate = 2e-5, WeightDecay = 0.05, MaxGradNorm = 1.0, WarmupSteps = 100, Schedule = LrScheduleKind.Linear,
        Epochs = 1, BatchSize = 12, GradientAccumulation = 32, Seed = 1,
    };

    public void Validate()
    {
        if (Data.Count == 0) throw new ArgumentException("lsm train needs training data.");
        if (MinTargetTokens < 0 || MaxTargetTokens <= MinTargetTokens + 1) throw new ArgumentException($"Target token limits {MinTargetTokens} < n < {MaxTargetTokens} leave no length.");
        // The trainer writes into Output (SelfPoweredTraining sets it), so save steps and checkpoints are valid here.
        (Trainer with { OutputDir = Output }).Validate();
    }
}
