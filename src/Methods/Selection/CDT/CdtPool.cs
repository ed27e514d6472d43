using Engine.Methods.Core.Data;

namespace Engine.Methods.Selection.CDT;

/// <summary>A tagged data set in memory: each record (in input order, bad ones skipped when asked) with its tags read through a label set.</summary>
public sealed record CdtPool(IReadOnlyList<DataRecord> Records, IReadOnlyList<CapabilityTags> Tags, IReadOnlyList<string> UnknownTagValues, long Skipped)
{
    public static CdtPool Read(string path, CdtLabelSet labels, bool skipBadRecords = false, ReadReport? report = null)
    {
        report ??= new ReadReport();
        var records = new List<DataRecord>();
        var tags = new List<CapabilityTags>();
        var unknown = new List<string>();
        foreach (var r in RecordReader.Read(path, rec => rec, new RecordReadOptions { SkipBadRecords = skipBadRecords }, report))
        {
            records.Add(r.Record);
            tags.Add(CapabilityTags.FromRecord(r.Record, labels, unknown));
        }
        return new CdtPool(records, tags, unknown, report.SkippedCount);
    }

    public CdtDatasetMetrics Metrics(long denominator) => CdtDatasetMetrics.Of(Tags, denominator);

    /// <summary>The metrics of a subset given by indices into this pool.</summary>
    public CdtDatasetMetrics Metrics(IEnumerable<int> subset, long denominator) => CdtDatasetMetrics.Of(subset.Select(i => Tags[i]).ToArray(), denominator);

    /// <summary>Write the records at <paramref name="indices"/> as they were read (every field kept), in input order; atomically.</summary>
    public void Write(IEnumerable<int> indices, string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var tmp = path + ".tmp";
        using (var w = new StreamWriter(tmp) { NewLine = "\n" })
            foreach (var i in indices.Order()) w.WriteLine(Records[i].Value.ToJsonString());
        File.Move(tmp, path, overwrite: true);
    }
}
