using Engine.Methods.Core.Jobs;
using Engine.Runtime;

namespace Engine.Methods.Selection.SelectIT;

public sealed record SelectItOptions
{
    /// <summary>Scoring models (Hugging Face folders); base models, as in the paper.</summary>
    public required IReadOnlyList<string> Models { get; init; }
    /// <summary>θ per model; default: each model's parameter count.</summary>
    public IReadOnlyList<double>? ModelWeights { get; init; }
    /// <summary>Penalty on the spread of token-level scores across prompts (paper/README default 0.2). Used when merging, so it can change without rescoring.</summary>
    public double Alpha { get; init; } = 0.2;
    /// <summary>Rating scale 1..ScaleMax (the number of rating tokens).</summary>
    public int ScaleMax { get; init; } = 5;
    /// <summary>How many rating prompts (sentence level averages over them).</summary>
    public int NumPrompts { get; init; } = 5;
    public RatingNormalization Normalization { get; init; } = RatingNormalization.Paper;
    public IReadOnlyList<string> Prompts { get; init; } = RatingPrompts.Default;
    /// <summary>Fraction kept (paper: 0.2); ignored when TopN is set.</summary>
    public double Ratio { get; init; } = 0.2;
    public int? TopN { get; init; }
    /// <summary>Rating inputs per forward pass.</summary>
    public int BatchSize { get; init; } = 8;
    /// <summary>The records this run scores (index mod n = i); <see cref="Shard.Whole"/> for all.</summary>
    public Shard Shard { get; init; } = Shard.Whole;
    public Device Device { get; init; } = Device.Cpu;
    public bool SkipBadRecords { get; init; }
    /// <summary>Longest rating input in tokens (default: the model's context); longer ones are cut (<see cref="RatingInput"/>).</summary>
    public int? MaxTokens { get; init; }

    public void Validate()
    {
        if (Models.Count == 0) throw new ArgumentException("SelectIT needs at least one scoring model.");
        if (ModelWeights is { } w && w.Count != Models.Count) throw new ArgumentException($"{w.Count} model weights for {Models.Count} models.");
        if (NumPrompts < 1 || NumPrompts > Prompts.Count) throw new ArgumentException($"NumPrompts {NumPrompts} but {Prompts.Count} prompts are available.");
        if (Alpha < 0) throw new ArgumentException("alpha must be ≥ 0.");
        if (Shard.Count < 1 || Shard.Index < 0 || Shard.Index >= Shard.Count) throw new ArgumentException($"Bad shard {Shard}.");
        if (BatchSize < 1) throw new ArgumentException("batch size must be ≥ 1.");
        if (MaxTokens is < 1) throw new ArgumentException("max-tokens must be ≥ 1.");
        if (TopN is < 0) throw new ArgumentException("top-n must be ≥ 0.");
        _ = SelectItScores.CountForRatio(1, Ratio);
    }
}
