namespace Engine.Methods.Evaluation.Testbed;

public enum TestbedSplit { Train, Test }

/// <summary>Knobs of one generation run. Everything is a pure function of these values.</summary>
public sealed record TestbedOptions
{
    /// <summary>Families to draw from, balanced (record i gets family i mod count, then the order is shuffled).</summary>
    public IReadOnlyList<ITaskFamily> Tasks { get; init; } = TaskRegistry.All;
    public int N { get; init; } = 1000;
    /// <summary>Fraction of records corrupted; exactly round(N·Noise) (half away from zero) are.</summary>
    public double Noise { get; init; }
    /// <summary>Corruption kinds used round-robin; null = all (without logic_error when CoT is off).</summary>
    public IReadOnlyList<CorruptionKind>? NoiseKinds { get; init; }
    public int MinDifficulty { get; init; } = 1;
    public int MaxDifficulty { get; init; } = 1;
    /// <summary>Chain-of-thought: reasoning lines before the answer line.</summary>
    public bool Cot { get; init; }
    public ResponseLength Length { get; init; } = ResponseLength.Short;
    public TestbedSplit Split { get; init; } = TestbedSplit.Train;
    /// <summary>Share of the prompt space (by stable hash of the prompt) reserved for the test split.</summary>
    public double TestFraction { get; init; } = 0.1;
    public ulong Seed { get; init; } = 1;
    /// <summary>
    /// Relative weights of <see cref="Tasks"/> (same order); null = balanced. Family j gets its largest-remainder share
    /// of N (ties to the earlier family), then the order is shuffled as for balanced families.
    /// </summary>
    public IReadOnlyList<double>? Weights { get; init; }
    /// <summary>Draw one of several framings per record (<see cref="TestbedFramings"/>): CDT tags that vary within a family.</summary>
    public bool Framings { get; init; }

    public IReadOnlyList<CorruptionKind> EffectiveNoiseKinds =>
        NoiseKinds ?? CorruptionKinds.All.Where(k => Cot || k != CorruptionKind.LogicError).ToArray();

    public void Validate()
    {
        if (N < 0) throw new ArgumentException($"testbed: n must be >= 0, got {N}.");
        if (Noise is < 0 or > 1 || double.IsNaN(Noise)) throw new ArgumentException($"testbed: noise must be in [0, 1], got {Noise}.");
        if (MinDifficulty < 1 || MaxDifficulty > 3 || MinDifficulty > MaxDifficulty)
            throw new ArgumentException($"testbed: difficulty must be a range within 1-3, got {MinDifficulty}-{MaxDifficulty}.");
        if (TestFraction is <= 0 or >= 1) throw new ArgumentException($"testbed: test fraction must be in (0, 1), got {TestFraction}.");
        if (Tasks.Count == 0) throw new ArgumentException("testbed: no task families selected.");
        if (Weights is { } w && (w.Count != Tasks.Count || w.Any(x => !double.IsFinite(x) || x < 0) || w.Sum() <= 0))
            throw new ArgumentException($"testbed: weights need one non-negative number per family ({Tasks.Count}) with a positive sum, got [{string.Join(", ", w)}].");
        if (EffectiveNoiseKinds.Count == 0) throw new ArgumentException("testbed: no corruption kinds selected.");
        if (!Cot && EffectiveNoiseKinds.Contains(CorruptionKind.LogicError))
            throw new ArgumentException("testbed: logic_error corrupts a reasoning step, so it needs chain-of-thought (--cot).");
    }

    /// <summary>Parses "2" or "1-3".</summary>
    public static (int Min, int Max) ParseDifficulty(string text)
    {
        var parts = text.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length is 1 or 2 && int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var lo) && int.TryParse(parts[^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var hi)) return (lo, hi);
        throw new ArgumentException($"testbed: difficulty must be N or N-M, got '{text}'.");
    }
}
