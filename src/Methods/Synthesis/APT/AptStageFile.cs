using System.Text;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Jobs;

namespace Engine.Methods.Synthesis.APT;

/// <summary>
/// A stage whose output is computed whole from earlier outputs (selection, retrieval, pairs): written to a temporary
/// file and published by a rename, then its manifest (the record-job format, marked complete) records the fingerprint
/// of its inputs and options. A killed stage leaves no output and runs again; a finished one is skipped when the
/// fingerprint matches, and a resume against a different one is refused with the differences named.
/// </summary>
internal static class AptStageFile
{
    /// <summary>True when <paramref name="output"/> is complete with this fingerprint; throws when it was made differently.</summary>
    public static bool IsDone(string output, JobFingerprint fingerprint)
    {
        var m = JobManifest.TryRead(output);
        if (m is null) return false;
        var diffs = m.Fingerprint.Differences(fingerprint);
        if (diffs.Count > 0)
            throw new JobException($"cannot resume {output}: it was made with different inputs or options ({string.Join("; ", diffs)}). Use --overwrite to start the run again.");
        return m.Complete && File.Exists(output);
    }

    public static void Write(string output, JobFingerprint fingerprint, IEnumerable<JsonObject> lines)
    {
        var tmp = output + ".tmp";
        long n = 0;
        using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false)) { NewLine = "\n" })
            foreach (var line in lines) { w.WriteLine(line.ToJsonString()); n++; }
        File.Move(tmp, output, overwrite: true);
        new JobManifest { Fingerprint = fingerprint, Shard = Shard.Whole, OutputsPerRecord = 1, Complete = true, Records = n, Lines = n }.Write(output);
    }
}
