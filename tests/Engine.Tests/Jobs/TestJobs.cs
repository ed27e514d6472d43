using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;

namespace Engine.Tests.Jobs;

/// <summary>The README's example record job: the length of each record's text.</summary>
internal sealed class LengthJob : IRecordJob<string>
{
    public string Name => "length";
    public int OutputsPerRecord => 1;
    public void Describe(JobFingerprint f) { }                      // no option changes the output
    public string Prepare(DataRecord r) => r.Text ?? throw r.Error("needs \"text\"", "text");
    public JobChunkResult Process(IReadOnlyList<JobItem<string>> chunk, JobProgress progress) =>
        new(chunk.Select(x => new JsonObject { ["id"] = x.Record.Id, ["chars"] = x.Item.Length }).ToList());
}

/// <summary>
/// A job whose lines show what it saw: each record's text with a suffix option and its index, <c>samples</c> lines per
/// record. It can fail on a given record index (a crash part-way) and counts the records it processed.
/// </summary>
internal sealed class EchoJob(string suffix = "!", int samples = 1, long failAt = -1) : IRecordJob<string>
{
    public int Processed { get; private set; }
    public string Name => "echo";
    public int OutputsPerRecord => samples;
    public void Describe(JobFingerprint f) => f.Add("suffix", suffix);
    public string Prepare(DataRecord r) => r.Text ?? throw r.Error("echo needs \"text\"", "text");

    public JobChunkResult Process(IReadOnlyList<JobItem<string>> chunk, JobProgress progress)
    {
        if (chunk.Any(c => c.Index == failAt)) throw new IOException($"simulated crash at record {failAt}");
        Processed += chunk.Count;
        var lines = new List<JsonObject>();
        foreach (var c in chunk)
            for (int s = 0; s < samples; s++)
                lines.Add(new JsonObject { ["echo"] = c.Item + suffix, ["index"] = c.Index, ["sample_index"] = s });
        return new JobChunkResult(lines, chunk.Sum(c => (long)c.Item.Length));
    }
}
