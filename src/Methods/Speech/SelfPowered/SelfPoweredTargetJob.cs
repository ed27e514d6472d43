using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;

namespace Engine.Methods.Speech.SelfPowered;

/// <summary>A manifest line as target generation sees it: the clip (absolute path) and its transcript.</summary>
public sealed record TranscribedClip(string Audio, string Transcript);

/// <summary>
/// <c>engine lsm gen-targets</c> as a record job over an ASR manifest (<c>{"audio", "text"}</c> per line): record i
/// gets a category and template drawn from (seed, i) (<see cref="SelfPoweredRules.Draw"/>); a transcription category's
/// target is the transcript, any other's is what the LLM answers to the instruction applied to the transcript. Output,
/// one line per record: the input's fields, then <c>audio</c> (made absolute: relative paths are read against the
/// manifest's folder), <c>transcript</c>, <c>category</c>, <c>template</c>, <c>instruction</c>, <c>text</c> (the
/// target: the training example is {instruction, audio, text} as in the method), <c>finish_reason</c> ("transcript"
/// for transcription), and <c>kept</c> with <c>drop_reason</c> ("prompt_tokens": not generated, the prompt is too
/// long; "filter": the post-filter rejected the answer), so a filtered record still has its line and resumes never
/// redo it. Sharding, resume, merge and progress come from <see cref="RecordJobRunner"/>.
/// </summary>
public sealed class SelfPoweredTargetJob : IRecordJob<TranscribedClip>
{
    private readonly ITargetWriter _writer;
    private readonly SelfPoweredTargetOptions _o;
    private readonly IReadOnlyList<InstructionCategory> _categories;

    public SelfPoweredTargetJob(ITargetWriter writer, SelfPoweredTargetOptions options)
    {
        options.Validate();
        _writer = writer; _o = options; _categories = options.SelectedCategories;
    }

    public string Name => "lsm-gen-targets";
    public int OutputsPerRecord => 1;

    public void Describe(JobFingerprint f)
    {
        _writer.Describe(f);
        f.Add("instructions", Core.Jobs.ContentDigest.OfText(_o.Instructions.Text));
        f.Add("categories", _categories.Select(c => c.Name));
        f.Add("prompt_format", Core.Jobs.ContentDigest.OfText(_o.Format.Json));
        f.Add("seed", (long)_o.Seed);
        f.Add("max_new_tokens", _o.MaxNewTokens);
        f.Add("max_prompt_tokens", _o.MaxPromptTokens);
        f.Add("filter", _o.Filter.ToString().ToLowerInvariant());
    }

    public TranscribedClip Prepare(DataRecord record)
    {
        var audio = record.Value["audio"] is JsonValue a && a.TryGetValue<string>(out var s) && s.Length > 0 ? s
            : throw record.Error("needs \"audio\": the path of the clip (a string)", "audio");
        var text = record.Value["text"] is JsonValue t && t.TryGetValue<string>(out var x) ? x.Trim()
            : throw record.Error("needs \"text\": the clip's transcript (a string)", "text");
        if (text.Length == 0) throw record.Error("the transcript is empty", "text");
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(record.Row.Source)) ?? ".";
        return new TranscribedClip(Path.GetFullPath(audio, baseDir), text);
    }

    /// <summary>Category and template of record <paramref name="index"/>.</summary>
    public (InstructionCategory Category, int Template) Instruction(long index)
    {
        var (c, j) = SelfPoweredRules.Draw(_o.Seed, index, _categories.Select(x => x.Templates.Count).ToArray());
        return (_categories[c], j);
    }

    public JobChunkResult Process(IReadOnlyList<JobItem<TranscribedClip>> chunk, JobProgress progress)
    {
        var lines = new JsonObject[chunk.Count];
        var ask = new List<(int At, TargetQuestion Q)>();
        for (int i = 0; i < chunk.Count; i++)
        {
            var (cat, j) = Instruction(chunk[i].Index);
            var instruction = cat.Templates[j];
            var o = (JsonObject)chunk[i].Record.Value.DeepClone();
            o["audio"] = chunk[i].Item.Audio;
            o["transcript"] = chunk[i].Item.Transcript;
            o["category"] = cat.Name;
            o["template"] = j;
            o["instruction"] = instruction;
            lines[i] = o;
            if (cat.IsTranscription) { Finish(o, chunk[i].Item.Transcript, "transcript", null); continue; }
            if (_o.MaxPromptTokens > 0 && _writer.PromptTokens(instruction, chunk[i].Item.Transcript) is { } n && !SelfPoweredRules.PromptFits(n, _o.MaxPromptTokens))
            {
                Finish(o, "", "none", "prompt_tokens");
                continue;
            }
            ask.Add((i, new TargetQuestion(chunk[i].Index, instruction, chunk[i].Item.Transcript)));
        }
        progress.Advance(chunk.Count - ask.Count);
        var answers = ask.Count == 0 ? [] : _writer.Answer(ask.Select(x => x.Q).ToArray(), progress);
        for (int k = 0; k < ask.Count; k++)
        {
            var a = answers[k];
            Finish(lines[ask[k].At], a.Text, a.FinishReason, SelfPoweredRules.Keeps(_o.Filter, a.Text, a.FinishReason) ? null : "filter");
        }
        return new JobChunkResult(lines);
    }

    private static void Finish(JsonObject o, string target, string finishReason, string? dropReason)
    {
        o["text"] = target;
        o["finish_reason"] = finishReason;
        o["kept"] = dropReason is null;
        o["drop_reason"] = dropReason;
    }
}
