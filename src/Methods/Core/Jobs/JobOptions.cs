using Engine.Methods.Core.Data;

namespace Engine.Methods.Core.Jobs;

/// <summary>Where a record job reads and writes, which shard it does, and how it treats an existing output and bad records.</summary>
public sealed record JobOptions
{
    /// <summary>JSONL, JSON array or Parquet file, or a folder of them.</summary>
    public required string Input { get; init; }
    /// <summary>The job's output; a shard writes <c>&lt;stem&gt;.shard-i-of-n&lt;ext&gt;</c> beside it (<see cref="Shard.PathOf"/>).</summary>
    public required string Output { get; init; }
    public Shard Shard { get; init; } = Shard.Whole;
    /// <summary>
    /// Records handed to the job at a time (and written together). Larger chunks waste less on filler rows (each length
    /// bucket's last batch of a chunk is filled up, see <see cref="StableBatches"/>); smaller ones lose less on a crash.
    /// </summary>
    public int ChunkSize { get; init; } = 1024;
    /// <summary>Continue an existing output made with the same fingerprint (a missing output starts fresh).</summary>
    public bool Resume { get; init; }
    /// <summary>Replace an existing output. Without this or <see cref="Resume"/>, an existing output is refused.</summary>
    public bool Overwrite { get; init; }
    public DatasetFormat Format { get; init; } = DatasetFormat.Auto;
    /// <summary>Skip (and report) bad records instead of stopping at the first; what came before a bad record is written either way.</summary>
    public bool SkipBadRecords { get; init; }
    /// <summary>Where the model etc. were read from, kept in the manifest for people (not compared).</summary>
    public IReadOnlyDictionary<string, string>? Sources { get; init; }
}

/// <summary>What a run did: records of this shard done (with earlier runs'), processed now, resumed from, skipped, and the input's valid records.</summary>
public sealed record JobSummary(string Output, long Records, long Processed, long Resumed, long Skipped, long InputRecords, bool WasComplete);
