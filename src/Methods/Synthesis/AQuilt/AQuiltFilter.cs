using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;

namespace Engine.Methods.Synthesis.AQuilt;

/// <summary>Why a sample was dropped (the report's keys).</summary>
public static class DropReason
{
    public const string NoQaPair = "no_qa_pair";
    public const string NotInspected = "no_score";
    public const string LowScore = "low_score";
    public const string TextReference = "text_reference";
    public const string TooLong = "too_long";
    public const string Duplicate = "duplicate";
    public const string Similar = "similar";
}

/// <summary>What filtering did: samples read and kept, drops by reason, and the keep rule's decision (null when scores were not used).</summary>
public sealed record FilterReport(long Read, long Kept, IReadOnlyDictionary<string, long> Dropped, KeepDecision? Decision)
{
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"kept {Kept} of {Read} samples");
        var drops = Dropped.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}").ToList();
        sb.Append(drops.Count == 0 ? "; nothing dropped" : "; dropped: " + string.Join(", ", drops));
        if (Decision is { } d)
            sb.Append(CultureInfo.InvariantCulture, $". Scores 1-5: {string.Join("/", d.Buckets.Skip(1))}; low share (1-2) {d.LowShare:P1} -> keep score >= {d.MinScore}");
        return sb.ToString();
    }

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["read"] = Read, ["kept"] = Kept, ["dropped"] = new JsonObject(Dropped.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))) };
        if (Decision is { } d)
            o["keep_rule"] = new JsonObject
            {
                ["buckets"] = new JsonArray(d.Buckets.Skip(1).Select(b => (JsonNode)b).ToArray()),
                ["scored"] = d.Total, ["low_share"] = d.LowShare, ["min_score"] = d.MinScore,
            };
        return o;
    }
}

/// <summary>
/// Filtering inspected AQuilt samples into SFT data. Unlike synthesis and inspection this is not a per-record job:
/// the keep rule's threshold depends on the whole file's score distribution and the diversity rule on the samples
/// kept before, so it runs over the whole file (it is fast: no model). Steps, in order: drop samples without a pair;
/// the keep rule (samples without a score are dropped when scores are used); the text-independence check; the length
/// cap; then, per task type in input order, exact duplicates and ROUGE-L near-duplicates of kept samples. Kept samples
/// keep every field and gain the SFT fields <c>instruction</c> and <c>output</c> (Alpaca), so the file is both
/// training data and a record of what was kept.
/// </summary>
public static class AQuiltFilter
{
    /// <summary>One inspected sample.</summary>
    public sealed record Sample(DataRecord Record, AQuiltTask Task, string Passage, QaPair? Qa, int? Score);

    public static Sample Read(DataRecord record)
    {
        var passage = record.Text ?? throw record.Error("an AQuilt sample needs \"text\" (its passage)", "text");
        if (record.Value["task_type"] is not JsonValue tv || !tv.TryGetValue<string>(out var taskName))
            throw record.Error("an AQuilt sample needs \"task_type\" (a string)", "task_type");
        AQuiltTask task;
        try { task = AQuiltTaskTypes.Parse(taskName); }
        catch (ArgumentException e) { throw record.Error(e.Message, "task_type"); }
        int? score = null;
        if (record.Value["score"] is { } s && AQuiltJson.TryScore(s, out var v)) score = v;
        return new Sample(record, task, passage, InspectionJob.QaOf(record), score);
    }

    /// <summary>Filter the samples; returns the kept ones (as output records) and the report.</summary>
    public static (List<JsonObject> Kept, FilterReport Report) Apply(IReadOnlyList<Sample> samples, AQuiltFilterOptions o)
    {
        o.Validate();
        var dropped = new[] { DropReason.NoQaPair, DropReason.NotInspected, DropReason.LowScore, DropReason.TextReference, DropReason.TooLong, DropReason.Duplicate, DropReason.Similar }
            .ToDictionary(k => k, _ => 0L);
        var alive = new List<Sample>();
        foreach (var s in samples)
        {
            if (s.Qa is null) dropped[DropReason.NoQaPair]++;
            else if (o.UseScores && s.Score is null) dropped[DropReason.NotInspected]++;
            else alive.Add(s);
        }
        KeepDecision? decision = null;
        if (o.UseScores)
        {
            decision = AQuiltRules.Keep(alive.Select(s => s.Score!.Value), o);
            int min = decision.MinScore;
            dropped[DropReason.LowScore] = alive.LongCount(s => AQuiltRules.Bucket(s.Score!.Value) < min);
            alive = alive.Where(s => AQuiltRules.Bucket(s.Score!.Value) >= min).ToList();
        }
        var kept = new List<JsonObject>();
        var indexes = new Dictionary<string, (HashSet<string> Exact, RougeLIndex Rouge)>();
        foreach (var s in alive)
        {
            var qa = s.Qa!;
            if (o.TextIndependence && AQuiltRules.TextReference(s.Task.Type, qa.Question) is not null) { dropped[DropReason.TextReference]++; continue; }
            var instruction = o.Prompts.Instruction(s.Task, s.Passage, qa.Question, o.InstructionTemplate);
            var output = AQuiltPrompts.Fill(o.OutputTemplate, ("thinking_steps", qa.ThinkingSteps), ("answer", qa.Answer));
            if (o.MaxChars > 0 && instruction.Length + output.Length > o.MaxChars) { dropped[DropReason.TooLong]++; continue; }
            if (o.DiversityThreshold is { } threshold)
            {
                if (!indexes.TryGetValue(s.Task.Name, out var index)) indexes[s.Task.Name] = index = (new HashSet<string>(StringComparer.Ordinal), new RougeLIndex());
                var compared = (o.DiversityOn == DiversityText.Question ? qa.Question : instruction).Trim();
                if (!index.Exact.Add(compared)) { dropped[DropReason.Duplicate]++; continue; }
                if (index.Rouge.FirstAtLeast(compared, threshold) is not null) { dropped[DropReason.Similar]++; continue; }
                index.Rouge.Add(compared);
            }
            var line = (JsonObject)s.Record.Value.DeepClone();
            line["instruction"] = instruction;
            line["output"] = output;
            kept.Add(line);
        }
        return (kept, new FilterReport(samples.Count, kept.Count, dropped, decision));
    }

    /// <summary>Filter a file of inspected samples into <paramref name="output"/> (JSONL) and write the report beside it (<c>&lt;output&gt;.report.json</c>).</summary>
    public static FilterReport Run(string input, string output, AQuiltFilterOptions o, bool overwrite = false, bool skipBadRecords = false, ReadReport? readReport = null)
    {
        if (File.Exists(output) && !overwrite) throw new IOException($"{output} already exists; pass --overwrite to replace it.");
        var samples = RecordReader.Read(input, Read, new RecordReadOptions { SkipBadRecords = skipBadRecords }, readReport).Select(r => r.Item).ToList();
        var (kept, report) = Apply(samples, o);
        var dir = Path.GetDirectoryName(Path.GetFullPath(output))!;
        Directory.CreateDirectory(dir);
        var tmp = output + ".tmp";
        using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false)))
            foreach (var line in kept) { w.Write(line.ToJsonString()); w.Write('\n'); }
        File.Move(tmp, output, overwrite: true);
        File.WriteAllText(ReportPath(output), report.ToJson().ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        return report;
    }

    public static string ReportPath(string output) => output + ".report.json";
}
