using System.Globalization;

namespace Engine.Methods.Evaluation.Experiments;

/// <summary>The base model a band search settled on: its folder, its training steps, its validation accuracy, and the whole trace.</summary>
public sealed record BandedBaseResult(string ModelDir, long Steps, double Accuracy, bool Reached, IReadOnlyList<(long Steps, double Accuracy)> Trace)
{
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Steps} steps, validation {Accuracy:P1}{(Reached ? "" : " (band not reached)")}; trace {string.Join(", ", Trace.Select(t => $"{t.Steps}:{t.Accuracy:P0}"))}");
}

/// <summary>
/// Train a base model in chunks until its validation accuracy reaches a floor. Experiments whose method assumes a
/// base that solves most, not all, of a domain (APT, SeaPO: "roughly 60–70 %") cannot fix the step count: the tiny
/// testbed models learn a family in a sudden jump whose timing varies by seed (the same 300 steps gave 64 % on one
/// seed and 98.5 % on another). Each chunk continues from the previous chunk's model; the first chunk whose
/// validation accuracy is at least the floor is the base. Validation items are never the experiment's test items.
/// </summary>
public static class BandedBase
{
    /// <param name="trainChunk">Trains one chunk: (from model folder, to model folder, chunk index from 0).</param>
    /// <param name="validate">Validation accuracy of a model folder.</param>
    public static BandedBaseResult Train(string initDir, string workDir, int chunkSteps, int maxChunks, double minAccuracy,
        Action<string, string, int> trainChunk, Func<string, double> validate, Action<string>? log = null)
    {
        if (chunkSteps < 1 || maxChunks < 1) throw new ArgumentException("a band search needs at least one chunk of at least one step.");
        if (minAccuracy is < 0 or > 1) throw new ArgumentException($"the accuracy floor must be in [0, 1], got {minAccuracy}.");
        var trace = new List<(long, double)>();
        string from = initDir;
        for (int k = 0; k < maxChunks; k++)
        {
            string to = Path.Combine(workDir, $"chunk-{k + 1}");
            trainChunk(from, to, k);
            double acc = validate(to);
            long steps = (long)(k + 1) * chunkSteps;
            trace.Add((steps, acc));
            log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"base after {steps} steps: validation {acc:P1}"));
            if (acc >= minAccuracy) return new BandedBaseResult(to, steps, acc, true, trace);
            from = to;
        }
        return new BandedBaseResult(from, (long)maxChunks * chunkSteps, trace[^1].Item2, false, trace);
    }
}
