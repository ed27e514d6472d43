using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Engine.Methods.Core.Data;

namespace Engine.Methods.Core.Jobs;

/// <summary>What a merge wrote.</summary>
public sealed record MergeSummary(string Output, int Shards, long Records, long Lines);

/// <summary>
/// Merges the shard outputs of a record job into the output one whole run writes — byte for byte, in input order
/// (record k comes from shard k mod n) — after checking that the set is complete: every shard 0..n−1 there and
/// finished, all made with the same fingerprint from the same input, each with exactly the lines its records need.
/// Any problem stops the merge with one message listing each shard's problem.
/// </summary>
public static class JobMerge
{
    /// <summary>The shard outputs beside <paramref name="output"/> (<c>stem.shard-i-of-n.ext</c>), of one shard count (<paramref name="count"/> picks one when several are there).</summary>
    public static (int Count, IReadOnlyList<int> Present) FindShards(string output, int? count = null)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(output))!;
        var stem = Path.GetFileNameWithoutExtension(output);
        var ext = Path.GetExtension(output);
        var pattern = new Regex("^" + Regex.Escape(stem) + @"\.shard-(\d+)-of-(\d+)" + Regex.Escape(ext) + "$");
        var found = !Directory.Exists(dir) ? [] : Directory.EnumerateFiles(dir)
            .Select(f => pattern.Match(Path.GetFileName(f))).Where(m => m.Success)
            .Select(m => (i: int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), n: int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)))
            .Where(s => count is null || s.n == count).ToList();
        var counts = found.Select(s => s.n).Distinct().Order().ToList();
        if (counts.Count == 0)
            return (count ?? 0, []);
        if (counts.Count > 1)
            throw new JobException($"shard outputs of {output} for {string.Join(" and ", counts)} shards are both there; say which with --num-shards.");
        return (counts[0], found.Select(s => s.i).Order().ToList());
    }

    /// <summary>True when shard outputs of <paramref name="output"/> exist.</summary>
    public static bool HasShards(string output) => FindShards(output).Present.Count > 0;

    /// <summary>
    /// Check the shards of <paramref name="output"/> and write the merged output (atomically) with its manifest.
    /// <paramref name="expected"/>, when given, is the fingerprint the shards must have (the options of the command that
    /// merges), apart from the entries in <paramref name="ignore"/> (e.g. the device, which the merging machine need not share).
    /// </summary>
    public static MergeSummary Merge(string output, int? shardCount = null, JobFingerprint? expected = null, IReadOnlyCollection<string>? ignore = null)
    {
        var (n, present) = FindShards(output, shardCount);
        if (n == 0)
            throw new JobException($"no shard outputs of {output} to merge (looked for {ShardPattern(output)}).");
        var problems = new List<string>();
        var manifests = new JobManifest?[n];
        for (int i = 0; i < n; i++)
        {
            var path = new Shard(i, n).PathOf(output);
            if (!File.Exists(path)) { problems.Add($"shard {i}/{n}: missing ({path}); run it with --shard {i}/{n}"); continue; }
            var m = JobManifest.TryRead(path);
            if (m is null) { problems.Add($"shard {i}/{n}: no manifest ({JobManifest.PathFor(path)}), so its options are unknown"); continue; }
            if (!m.Complete) { problems.Add($"shard {i}/{n}: not finished ({ResumableJsonlWriter.CountCompleteLines(path)} lines so far); rerun it with --resume"); continue; }
            manifests[i] = m;
        }
        var reference = manifests.FirstOrDefault(m => m is not null);
        int refIndex = Array.IndexOf(manifests, reference);
        for (int i = 0; i < n && reference is not null; i++)
        {
            if (manifests[i] is not { } m || i == refIndex) continue;
            var diffs = reference.Fingerprint.Differences(m.Fingerprint);
            if (diffs.Count > 0) problems.Add($"shard {i}/{n} was made with other options than shard {refIndex}/{n}: {string.Join("; ", diffs)}");
            else if (m.Records != reference.Records) problems.Add($"shard {i}/{n} read {m.Records} input records, shard {refIndex}/{n} {reference.Records}");
        }
        if (reference is not null && expected is not null && reference.Fingerprint.Differences(expected, ignore) is { Count: > 0 } d)
            problems.Add($"the shards were made with other options than these: {string.Join("; ", d)}");
        for (int i = 0; i < n && reference is not null; i++)
        {
            if (manifests[i] is not { } m) continue;
            var path = new Shard(i, n).PathOf(output);
            long want = new Shard(i, n).RecordsOf(reference.Records!.Value) * reference.OutputsPerRecord;
            long have = ResumableJsonlWriter.CountCompleteLines(path);
            if (have != want || m.Lines != want) problems.Add($"shard {i}/{n}: {have} lines, its records need {want}");
        }
        if (problems.Count > 0)
            throw new JobException($"cannot merge {output} from {n} shards:" + string.Concat(problems.Select(p => Environment.NewLine + "  - " + p)));

        long records = reference!.Records!.Value, lines = 0;
        int per = reference.OutputsPerRecord;
        var tmp = output + ".merging";
        var readers = Enumerable.Range(0, n).Select(i => new StreamReader(new Shard(i, n).PathOf(output), new UTF8Encoding(false))).ToArray();
        try
        {
            using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false)) { NewLine = "\n" })
                for (long k = 0; k < records; k++)
                    for (int s = 0; s < per; s++)
                    {
                        w.Write(readers[k % n].ReadLine() ?? throw new InvalidDataException($"shard {k % n}/{n} ended early"));
                        w.Write('\n');
                        lines++;
                    }
        }
        finally { foreach (var r in readers) r.Dispose(); }
        File.Move(tmp, output, overwrite: true);
        (reference with { Shard = Shard.Whole, Lines = lines }).Write(output);
        return new MergeSummary(output, n, records, lines);
    }

    /// <summary>
    /// The manifest of a finished job output, merging its shards first when they are there; throws when the output is
    /// missing, unfinished, or made with other options than <paramref name="expected"/>.
    /// </summary>
    public static JobManifest RequireComplete(string output, JobFingerprint? expected = null, IReadOnlyCollection<string>? ignore = null)
    {
        if (HasShards(output)) Merge(output, null, expected, ignore);
        var m = JobManifest.TryRead(output);
        if (!File.Exists(output) || m is null)
            throw new JobException($"{output} is missing (no whole-run output and no shard outputs {ShardPattern(output)}); run the job first.");
        if (!m.Complete || ResumableJsonlWriter.CountCompleteLines(output) != m.Lines)
            throw new JobException($"{output} is not finished; rerun the job with --resume.");
        if (expected is not null && m.Fingerprint.Differences(expected, ignore) is { Count: > 0 } d)
            throw new JobException($"{output} was made with other options than these: {string.Join("; ", d)}");
        return m;
    }

    private static string ShardPattern(string output) =>
        Path.Combine(Path.GetDirectoryName(output) ?? "", $"{Path.GetFileNameWithoutExtension(output)}.shard-*-of-*{Path.GetExtension(output)}");
}
