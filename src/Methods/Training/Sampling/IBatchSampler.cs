using System.Text.Json.Nodes;

namespace Engine.Methods.Training.Sampling;

/// <summary>
/// Decides which examples form each optimizer step. Each batch holds the example indices of one optimizer step (up to
/// BatchSize × GradientAccumulation); the trainer cuts it into micro-batches, so a by-group sampler keeps one group per
/// optimizer update. A sampler is one of two kinds: <see cref="IEpochBatchSampler"/> (an epoch's batches are a pure
/// function of the seed and the epoch) or <see cref="IStatefulBatchSampler"/> (the next batch depends on state that
/// training changes, saved in every checkpoint).
/// </summary>
public interface IBatchSampler
{
    /// <summary>Name written to checkpoints so a resume with a different sampler is refused.</summary>
    string Kind { get; }
    /// <summary>Optimizer steps per epoch (what the trainer counts epochs and sizes <see cref="TrainerOptions.Epochs"/> runs by).</summary>
    int StepsPerEpoch { get; }
}

/// <summary>
/// A sampler whose epoch is a pure function of (seed, epoch): the position in the stream is just (epoch, batch), which
/// is what a checkpoint stores, and a resumed run regenerates the same epoch and skips the batches already done.
/// <see cref="EpochBatches"/> is called after the trainer's epoch hook, so an order that a method recomputes per epoch
/// from its (registered, checkpointed) state is regenerated identically on resume.
/// </summary>
public interface IEpochBatchSampler : IBatchSampler
{
    IReadOnlyList<int[]> EpochBatches(int epoch);
}

/// <summary>
/// A sampler that depends on training state (DRPruning's domain weights, replaced after every step). The trainer asks
/// for one batch per optimizer step and checkpoints the sampler's state next to the model, so a resumed run continues
/// the same stream: <see cref="NextBatch"/> must depend only on the seed, the step and what <see cref="SaveState"/>
/// returns (use a random stream that is a pure function of (seed, step), or save its offset).
/// </summary>
public interface IStatefulBatchSampler : IBatchSampler
{
    /// <summary>The example indices of optimizer step <paramref name="step"/> (0-based); may advance the sampler's state.</summary>
    int[] NextBatch(long step);
    /// <summary>Everything <see cref="NextBatch"/> depends on besides the seed and step, as JSON (doubles round-trip exactly).</summary>
    JsonNode SaveState();
    void LoadState(JsonNode state);
}

/// <summary>Where a run is in the sampler's stream: the next batch to train is <see cref="Batch"/> of <see cref="Epoch"/>.</summary>
public sealed record SamplerPosition(int Epoch, int Batch)
{
    public JsonObject ToJson(string kind) => new() { ["kind"] = kind, ["epoch"] = Epoch, ["batch"] = Batch };

    public static SamplerPosition FromJson(JsonObject o, string expectedKind)
    {
        var kind = o["kind"]?.GetValue<string>();
        if (kind != expectedKind) throw new InvalidDataException($"Checkpoint was written with the '{kind}' batch sampler; this run uses '{expectedKind}'.");
        return new SamplerPosition(o["epoch"]!.GetValue<int>(), o["batch"]!.GetValue<int>());
    }
}

/// <summary>Seeded permutations from Philox, one independent stream per (seed, purpose, epoch).</summary>
public static class PhiloxShuffle
{
    /// <summary>Fisher–Yates over 0..n−1 with 64-bit draws (two Philox words each).</summary>
    public static int[] Permutation(int n, ulong seed, ulong stream)
    {
        var p = Enumerable.Range(0, n).ToArray();
        Shuffle(p, seed, stream);
        return p;
    }

    public static void Shuffle<T>(T[] items, ulong seed, ulong stream)
    {
        int n = items.Length;
        if (n < 2) return;
        var words = new uint[2 * n];
        // Offsets far apart per stream: each stream uses at most 2n words = n/2 counter blocks.
        Engine.Runtime.Philox.Fill(seed, stream << 32, words);
        for (int i = n - 1; i > 0; i--)
        {
            ulong r = ((ulong)words[2 * i] << 32) | words[2 * i + 1];
            int j = (int)(r % (ulong)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
