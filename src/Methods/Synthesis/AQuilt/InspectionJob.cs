using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;

namespace Engine.Methods.Synthesis.AQuilt;

/// <summary>
/// AQuilt self-inspection as a record job over synthesis output (records with <c>text</c> and <c>qa_pair</c>): the
/// inspection prompt (the passage and the pair as a fenced JSON block) is continued and parsed into an analysis and an
/// integer score. Output: one line per record — the input plus <c>analysis_steps</c> and <c>score</c> (null when there
/// was nothing to inspect or no attempt parsed), <c>inspection_attempts</c>, <c>inspection_truncated</c>, and for a
/// failure <c>inspection_error</c> and <c>inspection_raw</c>. Record i's attempt a draws from Philox row i·attempts + a.
/// </summary>
public sealed class InspectionJob : IRecordJob<InspectionJob.Item>
{
    /// <summary>The pair to inspect (null when synthesis gave none) and the passage fitted to the prompt.</summary>
    public sealed record Item(QaPair? Qa, FittedPassage Passage);

    public static readonly string[] OwnFields = ["analysis_steps", "score", "inspection_attempts", "inspection_truncated", "inspection_error", "inspection_raw"];

    private readonly ICompleter _completer;
    private readonly AQuiltInspectionOptions _o;

    public InspectionJob(ICompleter completer, AQuiltInspectionOptions options)
    {
        options.Validate();
        _completer = completer;
        _o = options;
        PassageFit.RequireRoom(p => options.Prompts.Inspection(p, new QaPair("", "", "")), completer, options.MaxNewTokens, "inspection");
    }

    public string Name => "aquilt-inspect";
    public int OutputsPerRecord => 1;

    public void Describe(JobFingerprint f)
    {
        _completer.Describe(f);
        f.Add("prompts", _o.Prompts.Digest);
        f.Add("temperature", _o.Temperature);
        f.Add("top_p", _o.TopP);
        f.Add("max_new_tokens", _o.MaxNewTokens);
        f.Add("seed", (long)_o.Seed);
        f.Add("max_attempts", _o.MaxAttempts);
        f.Add("max_passage_chars", _o.MaxPassageChars);
    }

    public Item Prepare(DataRecord record)
    {
        var text = record.Text ?? throw record.Error("an AQuilt sample needs \"text\" (the passage it was made from)", "text");
        var qa = QaOf(record);
        if (qa is null) return new Item(null, new FittedPassage(text, false, text.Length));
        return new Item(qa, PassageFit.Fit(text, p => _o.Prompts.Inspection(p, qa), _completer, _o.MaxNewTokens, _o.MaxPassageChars));
    }

    /// <summary>The record's <c>qa_pair</c>: null when absent or null (a failed synthesis), else an object of three strings.</summary>
    public static QaPair? QaOf(DataRecord record)
    {
        if (!record.Value.TryGetPropertyValue("qa_pair", out var node) || node is null) return null;
        if (node is not JsonObject o) throw record.Error("\"qa_pair\" must be an object with question, thinking_steps and answer", "qa_pair");
        string Field(string key) => o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s
            : throw record.Error($"\"qa_pair.{key}\" must be a string", "qa_pair." + key);
        return new QaPair(Field("question"), Field("thinking_steps"), Field("answer"));
    }

    public JobChunkResult Process(IReadOnlyList<JobItem<Item>> chunk, JobProgress progress)
    {
        var todo = Enumerable.Range(0, chunk.Count).Where(i => chunk[i].Item.Qa is not null).ToArray();
        progress.Advance(chunk.Count - todo.Length);
        var settings = new CompletionSettings(_o.Temperature, _o.TopP, 0, _o.MaxNewTokens, _o.Seed);
        var results = CompletionAttempts.Run(_completer, todo.Select(i => _o.Prompts.Inspection(chunk[i].Item.Passage.Text, chunk[i].Item.Qa!)).ToArray(),
            todo.Select(i => (ulong)chunk[i].Index).ToArray(), _o.MaxAttempts, settings, AQuiltJson.ParseInspection,
            (attempt, n, tokens) => progress.Advance(attempt == 0 ? n : 0, tokens));
        var byRecord = new AttemptResult<Inspection>?[chunk.Count];
        for (int j = 0; j < todo.Length; j++) byRecord[todo[j]] = results[j];

        var lines = new List<JsonObject>(chunk.Count);
        for (int i = 0; i < chunk.Count; i++)
        {
            var o = (JsonObject)chunk[i].Record.Value.DeepClone();
            foreach (var stale in OwnFields) o.Remove(stale);
            var r = byRecord[i];
            o["analysis_steps"] = r?.Value?.Analysis;
            o["score"] = r?.Value?.Score;
            o["inspection_attempts"] = r?.Attempts ?? 0;
            o["inspection_truncated"] = chunk[i].Item.Passage.Truncated;
            if (r is null) o["inspection_error"] = "no qa_pair to inspect (synthesis gave no parseable sample)";
            else if (r.Value is null) { o["inspection_error"] = r.Error; o["inspection_raw"] = r.Raw; }
            lines.Add(o);
        }
        return new JobChunkResult(lines);
    }
}
