using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Engine.Methods.Synthesis.AQuilt;

/// <summary>
/// Counts over a synthesis or inspection output file, whole (including what earlier, resumed runs wrote): samples,
/// parsed pairs, failures grouped by reason, retried samples, truncated passages; and for inspected files the scores
/// and the inspections that failed. This is what the CLI prints after <c>synthesize</c> and <c>inspect</c>.
/// </summary>
public sealed record AQuiltSummary(long Samples, long Parsed, long Retried, long Truncated, IReadOnlyDictionary<string, long> Failures,
    long Inspected, long[] ScoreBuckets, IReadOnlyDictionary<string, long> InspectionFailures)
{
    public static AQuiltSummary Read(string path)
    {
        long samples = 0, parsed = 0, retried = 0, truncated = 0, inspected = 0;
        var failures = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var inspectionFailures = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var buckets = new long[6];
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || JsonNode.Parse(line) is not JsonObject o) continue;
            samples++;
            if (o["qa_pair"] is JsonObject) parsed++;
            else if (o["error"] is JsonValue e && e.TryGetValue<string>(out var why)) Count(failures, Reason(why));
            if (o["attempts"] is JsonValue a && a.TryGetValue<int>(out var attempts) && attempts > 1) retried++;
            if (o["truncated"] is JsonValue t && t.TryGetValue<bool>(out var cut) && cut) truncated++;
            if (o["score"] is { } s && AQuiltJson.TryScore(s, out var score)) { inspected++; buckets[AQuiltRules.Bucket(score)]++; }
            else if (o["inspection_error"] is JsonValue ie && ie.TryGetValue<string>(out var iwhy)) Count(inspectionFailures, Reason(iwhy));
        }
        return new AQuiltSummary(samples, parsed, retried, truncated, failures, inspected, buckets, inspectionFailures);
    }

    /// <summary>A failure's kind: the reason without the details in parentheses (which name the keys seen, the parser's message).</summary>
    public static string Reason(string why) { int i = why.IndexOf(" (", StringComparison.Ordinal); return i < 0 ? why : why[..i]; }

    private static void Count(IDictionary<string, long> d, string key) => d[key] = d.TryGetValue(key, out var n) ? n + 1 : 1;

    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{Samples} samples, {Parsed} parsed");
        if (Samples - Parsed > 0) sb.Append(CultureInfo.InvariantCulture, $", {Samples - Parsed} without a pair ({string.Join("; ", Failures.Select(kv => $"{kv.Key}: {kv.Value}"))})");
        sb.Append(CultureInfo.InvariantCulture, $"; {Retried} needed more than one attempt; {Truncated} passages truncated to fit");
        if (Inspected > 0 || InspectionFailures.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"; {Inspected} scored (1-5: {string.Join("/", ScoreBuckets.Skip(1))})");
            if (InspectionFailures.Count > 0) sb.Append("; not scored: " + string.Join("; ", InspectionFailures.Select(kv => $"{kv.Key}: {kv.Value}")));
        }
        return sb.ToString();
    }
}
