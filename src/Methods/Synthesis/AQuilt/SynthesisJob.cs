using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;

namespace Engine.Methods.Synthesis.AQuilt;

/// <summary>
/// AQuilt synthesis as a record job over unlabelled passages (records with <c>text</c>): for each passage, each task
/// type and each sample, the raw prompt (task prompt + reference template, optionally ending in the forced JSON
/// opening and task prefix) is continued and parsed into (question, thinking steps, answer), with up to
/// <see cref="AQuiltSynthesisOptions.MaxAttempts"/> samples until one parses.
/// <para>Output: one line per (passage, task type, sample), in that order — the input record with <c>text</c> as the
/// model saw it, plus <c>task_type</c>, <c>sample_index</c> (with several samples), <c>qa_pair</c> (null when no
/// attempt parsed), <c>attempts</c>, <c>truncated</c> (and <c>original_chars</c> when cut), and for a failure
/// <c>error</c> (the last reason) and <c>raw</c> (the last completion). Unit u = (record index·tasks + task)·samples +
/// sample; its attempt a draws from Philox row u·attempts + a of the seed.</para>
/// </summary>
public sealed class SynthesisJob : IRecordJob<SynthesisJob.Item>
{
    /// <summary>A passage fitted to each task type's prompt.</summary>
    public sealed record Item(FittedPassage[] Passages);

    /// <summary>Fields this job writes; an input that already has them (synthesis run on its own output) gets them replaced.</summary>
    public static readonly string[] OwnFields = ["task_type", "sample_index", "qa_pair", "attempts", "truncated", "original_chars", "error", "raw"];

    private readonly ICompleter _completer;
    private readonly AQuiltSynthesisOptions _o;
    private readonly string _forced;

    public SynthesisJob(ICompleter completer, AQuiltSynthesisOptions options)
    {
        options.Validate();
        _completer = completer;
        _o = options;
        _forced = AQuiltPrompts.ForcedOpening(options.TaskPrefix, options.ForceJson);
        foreach (var t in options.Tasks) PassageFit.RequireRoom(p => Prompt(t, p), completer, options.MaxNewTokens, $"'{t.Name}' generation");
    }

    public string Name => "aquilt-synthesize";
    public int OutputsPerRecord => _o.Tasks.Count * _o.NumSamples;

    public void Describe(JobFingerprint f)
    {
        _completer.Describe(f);
        f.Add("task_types", _o.Tasks.Select(t => t.Name));
        f.Add("task_prefix", _o.TaskPrefix ?? "(none)");
        f.Add("force_json", _o.ForceJson);
        f.Add("prompts", _o.Prompts.Digest);
        f.Add("temperature", _o.Temperature);
        f.Add("top_p", _o.TopP);
        f.Add("top_k", _o.TopK);
        f.Add("max_new_tokens", _o.MaxNewTokens);
        f.Add("seed", (long)_o.Seed);
        f.Add("max_attempts", _o.MaxAttempts);
        f.Add("max_passage_chars", _o.MaxPassageChars);
    }

    /// <summary>The full prompt of a task type for a passage, forced opening included.</summary>
    public string Prompt(AQuiltTask task, string passage) => _o.Prompts.Generation(task, passage) + _forced;

    public Item Prepare(DataRecord record)
    {
        var text = record.Text ?? throw record.Error("an AQuilt passage record needs \"text\" (the unlabelled passage)", "text");
        if (text.Trim().Length == 0) throw record.Error("the passage is empty", "text");
        return new Item(_o.Tasks.Select(t => PassageFit.Fit(text, p => Prompt(t, p), _completer, _o.MaxNewTokens, _o.MaxPassageChars)).ToArray());
    }

    public JobChunkResult Process(IReadOnlyList<JobItem<Item>> chunk, JobProgress progress)
    {
        int tasks = _o.Tasks.Count, samples = _o.NumSamples, perRecord = OutputsPerRecord;
        var prompts = new List<string>(chunk.Count * perRecord);
        var units = new List<ulong>(chunk.Count * perRecord);
        foreach (var item in chunk)
            for (int k = 0; k < tasks; k++)
                for (int s = 0; s < samples; s++)
                {
                    prompts.Add(Prompt(_o.Tasks[k], item.Item.Passages[k].Text));
                    units.Add(((ulong)item.Index * (ulong)tasks + (ulong)k) * (ulong)samples + (ulong)s);
                }
        var settings = new CompletionSettings(_o.Temperature, _o.TopP, _o.TopK, _o.MaxNewTokens, _o.Seed);
        var results = CompletionAttempts.Run(_completer, prompts, units, _o.MaxAttempts, settings, text => AQuiltJson.ParseQa(text, _forced),
            (attempt, n, tokens) => progress.Advance(attempt == 0 ? n / (double)perRecord : 0, tokens));

        var lines = new List<JsonObject>(results.Length);
        for (int u = 0; u < results.Length; u++)
        {
            var item = chunk[u / perRecord];
            int k = u % perRecord / samples, s = u % samples;
            var passage = item.Item.Passages[k];
            var r = results[u];
            var o = (JsonObject)item.Record.Value.DeepClone();
            foreach (var stale in OwnFields) o.Remove(stale);
            o["text"] = passage.Text;
            o["task_type"] = _o.Tasks[k].Name;
            if (samples > 1) o["sample_index"] = s;
            o["qa_pair"] = r.Value?.ToJson();
            o["attempts"] = r.Attempts;
            o["truncated"] = passage.Truncated;
            if (passage.Truncated) o["original_chars"] = passage.OriginalChars;
            if (r.Value is null) { o["error"] = r.Error; o["raw"] = r.Raw; }
            lines.Add(o);
        }
        return new JobChunkResult(lines);
    }
}
