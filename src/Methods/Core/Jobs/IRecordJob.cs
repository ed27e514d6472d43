using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;

namespace Engine.Methods.Core.Jobs;

/// <summary>One record of a job: its index among the input's valid records, the parsed record and the job's view of it.</summary>
public readonly record struct JobItem<T>(long Index, DataRecord Record, T Item);

/// <summary>A chunk's output: <see cref="IRecordJob{T}.OutputsPerRecord"/> lines per record in chunk order, and the tokens processed (for progress, when not reported through <see cref="JobProgress"/>).</summary>
public sealed record JobChunkResult(IReadOnlyList<JsonObject> Lines, long Tokens = 0);

/// <summary>
/// What a method implements to get sharding, resume, merge and progress from <see cref="RecordJobRunner"/>:
/// a name and the options that change its output (the fingerprint), a view of each record, and the processing of a
/// chunk of records into output lines — exactly <see cref="OutputsPerRecord"/> lines per record, in order. A record's
/// lines must depend only on the record, its index and the options, never on which other records share its chunk
/// (batch with <see cref="StableBatches"/>), so shards, resumes and one whole run agree byte for byte.
/// </summary>
public interface IRecordJob<T>
{
    /// <summary>Short name ("score", "generate", "selectit"), stored in the fingerprint.</summary>
    string Name { get; }

    /// <summary>Output lines per record: 1, or one per sample.</summary>
    int OutputsPerRecord { get; }

    /// <summary>Add every option that changes the output lines (model identity, decoding options, ...). The runner adds the input's identity.</summary>
    void Describe(JobFingerprint fingerprint);

    /// <summary>The job's view of a record; throw <see cref="RecordFormatException"/> (<c>record.Error(why, field)</c>) for one it cannot use.</summary>
    T Prepare(DataRecord record);

    /// <summary>Process a chunk of records (in input order) into their output lines; report progress per batch through <paramref name="progress"/> (optional).</summary>
    JobChunkResult Process(IReadOnlyList<JobItem<T>> chunk, JobProgress progress);
}
