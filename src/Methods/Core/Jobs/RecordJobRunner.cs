using Engine.Methods.Core.Data;
using Engine.Methods.Core.Progress;

namespace Engine.Methods.Core.Jobs;

/// <summary>
/// Runs an <see cref="IRecordJob{T}"/>: reads the input's records in order (index = position among valid records),
/// keeps this shard's, hands them to the job a chunk at a time and appends the lines it returns, flushed per line.
/// <list type="bullet">
/// <item>Existing output: refused unless <see cref="JobOptions.Resume"/> (continue it: the manifest's fingerprint must
/// equal this run's, else the differing options are named) or <see cref="JobOptions.Overwrite"/> (start again).
/// Resume with no output starts fresh.</item>
/// <item>Bad records: with <see cref="JobOptions.SkipBadRecords"/> each is reported (file:line: why) and skipped, and
/// gets no index; without, the job stops at the first — after writing every record before it.</item>
/// <item>At the end the manifest records the input's valid record count, so shards can be merged and checked (<see cref="JobMerge"/>).</item>
/// </list>
/// </summary>
public static class RecordJobRunner
{
    /// <summary>The fingerprint a run of <paramref name="job"/> over <paramref name="input"/> has (the job's options, the input's identity, lines per record).</summary>
    public static JobFingerprint FingerprintOf<T>(IRecordJob<T> job, string input)
    {
        var f = new JobFingerprint(job.Name);
        job.Describe(f);
        f.Add("outputs_per_record", job.OutputsPerRecord);
        f.Add("input", ContentDigest.OfInput(input));
        return f;
    }

    public static JobSummary Run<T>(IRecordJob<T> job, JobOptions o, IProgress? progress = null)
    {
        if (o.ChunkSize < 1) throw new ArgumentOutOfRangeException(nameof(o), "chunk size must be ≥ 1");
        progress ??= NullProgress.Instance;
        var output = o.Shard.PathOf(o.Output);
        var fingerprint = FingerprintOf(job, o.Input);
        int perRecord = job.OutputsPerRecord;
        var existing = File.Exists(output) || File.Exists(JobManifest.PathFor(output));
        var sources = new Dictionary<string, string>(o.Sources ?? new Dictionary<string, string>()) { ["input"] = Path.GetFullPath(o.Input) };

        if (existing && !o.Resume && !o.Overwrite)
            throw new JobException($"{output} already exists. Pass --resume to continue it (same options), or --overwrite to start again.");
        if (existing && o.Overwrite && !o.Resume)
        {
            File.Delete(output);
            File.Delete(JobManifest.PathFor(output));
            existing = false;
        }
        if (existing && CheckResumable(output, fingerprint, o.Shard) is { Complete: true } done
            && File.Exists(output) && ResumableJsonlWriter.CountCompleteLines(output) == done.Lines)
        {
            progress.Note($"{job.Name}: {output} is already complete ({done.Records} input records).");
            return new JobSummary(output, o.Shard.RecordsOf(done.Records!.Value), 0, o.Shard.RecordsOf(done.Records.Value), done.Skipped, done.Records.Value, true);
        }

        var manifest = new JobManifest { Fingerprint = fingerprint, Shard = o.Shard, OutputsPerRecord = perRecord, Sources = sources };
        using var writer = new ResumableJsonlWriter(output, resume: existing, perRecord);
        manifest.Write(output);
        long resumed = writer.ExistingRecords;

        var report = new ReadReport();
        report.Skipped += e => progress.Note("skipped: " + e.Message);
        var label = o.Shard.IsWhole ? job.Name : $"{job.Name} shard {o.Shard}";
        progress.Begin(label, o.Shard.RecordsOf(DatasetFiles.CountRows(o.Input)), resumed);

        var pending = new List<JobItem<T>>(o.ChunkSize);
        long inShard = 0, inputRecords = 0, processed = 0;
        void Flush()
        {
            if (pending.Count == 0) return;
            var within = new JobProgress(progress);
            var result = job.Process(pending, within);
            if (result.Lines.Count != pending.Count * perRecord)
                throw new InvalidOperationException($"{job.Name}: {result.Lines.Count} output lines for {pending.Count} records × {perRecord}.");
            foreach (var line in result.Lines) writer.Write(line);
            processed += pending.Count;
            within.Complete(pending.Count, result.Tokens);
            pending.Clear();
        }

        var read = new RecordReadOptions { Format = o.Format, SkipBadRecords = o.SkipBadRecords };
        using (var records = RecordReader.Read(o.Input, job.Prepare, read, report).GetEnumerator())
            while (true)
            {
                try { if (!records.MoveNext()) break; }
                catch (RecordFormatException)
                {
                    // Stopping at a bad record: what came before it is kept, so a --resume (e.g. with --skip-bad-records) continues there.
                    Flush();
                    progress.End();
                    throw;
                }
                var r = records.Current;
                inputRecords = r.Index + 1;
                if (!o.Shard.Contains(r.Index) || inShard++ < resumed) continue;
                pending.Add(new JobItem<T>(r.Index, r.Record, r.Item));
                if (pending.Count >= o.ChunkSize) Flush();
            }
        Flush();
        progress.End();
        if (report.SkippedCount > 0) progress.Note($"{job.Name}: {report.SkippedCount} bad record{(report.SkippedCount == 1 ? "" : "s")} skipped.");
        manifest = manifest with { Complete = true, Records = inputRecords, Lines = writer.Lines, Skipped = report.SkippedCount };
        manifest.Write(output);
        return new JobSummary(output, inShard, processed, resumed, report.SkippedCount, inputRecords, false);
    }

    /// <summary>The manifest of an output to resume, after checking it was made by the same job, options, input and shard.</summary>
    private static JobManifest CheckResumable(string output, JobFingerprint fingerprint, Shard shard)
    {
        var m = JobManifest.TryRead(output) ?? throw new JobException(
            $"cannot resume {output}: it has no {Path.GetFileName(JobManifest.PathFor(output))} beside it, so the options that made it are unknown. Pass --overwrite to start again.");
        var diffs = m.Fingerprint.Differences(fingerprint).ToList();
        if (m.Shard != shard) diffs.Add($"shard: {m.Shard} → {shard}");
        if (diffs.Count > 0)
            throw new JobException($"cannot resume {output}: it was made with different options ({string.Join("; ", diffs)}). " +
                "Use the original options, another --output, or --overwrite to start again.");
        return m;
    }
}
