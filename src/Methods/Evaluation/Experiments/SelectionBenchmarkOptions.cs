namespace Engine.Methods.Evaluation.Experiments;

/// <summary>Where the CDT selectors' tags come from in the benchmark: the trained local tagger (the honest pipeline) or the testbed's ground truth.</summary>
public enum BenchmarkTagSource { Tagger, Truth }

/// <summary>
/// The selection benchmark's setup. Defaults: a 2,000-record pool of 8 families with unequal weights plus a rare target
/// family, 30% corrupted, framings on (tags vary within a family); every arm keeps 20%; the same tiny student, recipe
/// and steps for every arm; three seeds.
/// </summary>
public sealed record SelectionBenchmarkOptions
{
    public static readonly IReadOnlyList<string> AllArms = ["random", "full", "selectit", "cdt-diversity", "cdt-specific", "selectit-in-cdt-strata"];

    /// <summary>Pool families, most frequent first.</summary>
    public IReadOnlyList<string> Families { get; init; } = ["syllogism", "rule_classify", "string_ops", "list_ops", "translate", "sequence", "kb_lookup", "multiple_choice"];
    /// <summary>Relative pool weights of <see cref="Families"/> (unequal on purpose).</summary>
    public IReadOnlyList<double> Weights { get; init; } = [0.28, 0.20, 0.15, 0.11, 0.09, 0.07, 0.06, 0.04];
    /// <summary>The specific selector's target family: rare in the pool, known through a small tagged target set of its own.</summary>
    public string Target { get; init; } = "passage_extract";
    /// <summary>The target family's share of the pool (0 = held out of the pool entirely).</summary>
    public double TargetShare { get; init; } = 0.02;
    /// <summary>Records in the target set (another seed: none of them is in the pool); the specific selector sees only their tags.</summary>
    public int TargetSetN { get; init; } = 40;
    public int N { get; init; } = 2000;
    public double Noise { get; init; } = 0.3;
    public double Ratio { get; init; } = 0.2;
    /// <summary>SelectIT's rating model: labelled records (another seed) it learns to rate from, and its steps.</summary>
    public int JudgeN { get; init; } = 1500;
    public int JudgeSteps { get; init; } = 300;
    public int StudentSteps { get; init; } = 300;
    /// <summary>Held-out test-split items per family (the target family included).</summary>
    public int EvalPerFamily { get; init; } = 40;
    public int EvalMaxNewTokens { get; init; } = 24;
    public IReadOnlyList<ulong> Seeds { get; init; } = [1, 2, 3];
    public BenchmarkTagSource Tags { get; init; } = BenchmarkTagSource.Tagger;
    /// <summary>Records the local tagger is trained on (train split, another seed) and evaluated on (test split).</summary>
    public int TaggerN { get; init; } = 1500;
    public int TaggerEvalN { get; init; } = 300;
    public CdtTaggerRecipeOptions Tagger { get; init; } = new();
    public TestbedExperiment.TinyModelSize Size { get; init; } = new();
    public IReadOnlyList<string> Arms { get; init; } = AllArms;

    public void Validate()
    {
        if (Families.Count < 1 || Families.Count != Weights.Count) throw new ArgumentException($"{Families.Count} families but {Weights.Count} weights.");
        if (Families.Contains(Target)) throw new ArgumentException($"The target family '{Target}' must not be one of the pool families.");
        if (TargetShare is < 0 or >= 1) throw new ArgumentException("target share must be in [0, 1).");
        if (Ratio is <= 0 or > 1) throw new ArgumentException("ratio must be in (0, 1].");
        if (Seeds.Count == 0) throw new ArgumentException("Give at least one seed.");
        if (Arms.Except(AllArms).FirstOrDefault() is { } bad) throw new ArgumentException($"Unknown arm '{bad}'; arms: {string.Join(", ", AllArms)}.");
        if (N < 10 || TargetSetN < 1 || EvalPerFamily < 1 || StudentSteps < 1 || JudgeSteps < 1) throw new ArgumentException("Sizes and steps must be positive (and n ≥ 10).");
    }
}
