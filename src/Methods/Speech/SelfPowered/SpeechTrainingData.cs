using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Models.Speech;

namespace Engine.Methods.Speech.SelfPowered;

/// <summary>One training example: the clip, the instruction, the target text, and the prompt's token ids around the speech.</summary>
public sealed record SpeechExample(string Audio, string Instruction, string Target, SpeechPromptItem Prompt, string? Id);

/// <summary>What reading training data met: examples kept, lines dropped by target generation (<c>"kept": false</c>), targets outside the length limits, bad records skipped.</summary>
public sealed record SpeechDataReport(long Examples, long NotKept, long TargetLength, ReadReport Bad)
{
    public override string ToString() =>
        $"{Examples} examples" + (NotKept > 0 ? $", {NotKept} dropped by target generation" : "") +
        (TargetLength > 0 ? $", {TargetLength} with a target outside the length limits" : "") +
        (Bad.SkippedSummary() is { } s ? ", " + s : "");
}

/// <summary>
/// Training data for <c>engine lsm train</c>: JSONL/Parquet lines with <c>audio</c> (relative paths are read against
/// the file's folder), <c>instruction</c> and <c>text</c> (the target) — what <c>engine lsm gen-targets</c> writes, or
/// any ASR manifest given an instruction per line. Lines with <c>"kept": false</c> are left out; so are targets whose
/// token count (with the end token) is not strictly between the limits (the method's 5 and 2048).
/// </summary>
public static class SpeechTrainingData
{
    public static (List<SpeechExample> Examples, SpeechDataReport Report) Load(IEnumerable<string> paths, SpeechPromptEncoder prompts,
        int minTargetTokens = 5, int maxTargetTokens = 2048, bool skipBadRecords = false)
    {
        var bad = new ReadReport();
        var list = new List<SpeechExample>();
        long notKept = 0, tooLong = 0;
        foreach (var path in paths)
            foreach (var row in DatasetFiles.Read(path, skipBadRecords, bad.AddSkipped))
            {
                if (row.Value["kept"] is JsonValue k && k.TryGetValue<bool>(out var kept) && !kept) { notKept++; continue; }
                SpeechExample e;
                try { e = Parse(row, prompts); }
                catch (RecordFormatException x) when (skipBadRecords) { bad.AddSkipped(x); continue; }
                if (!SelfPoweredRules.TargetFits(e.Prompt.TargetIds.Length, minTargetTokens, maxTargetTokens)) { tooLong++; continue; }
                list.Add(e);
            }
        return (list, new SpeechDataReport(list.Count, notKept, tooLong, bad));
    }

    private static SpeechExample Parse(DataRow row, SpeechPromptEncoder prompts)
    {
        var r = DataRecord.Parse(row, DatasetFormat.Text);
        string Str(string field, string what) => r.Value[field] is JsonValue v && v.TryGetValue<string>(out var s) && s.Trim().Length > 0 ? s
            : throw r.Error($"needs \"{field}\": {what} (a non-empty string)", field);
        var audio = Str("audio", "the path of the clip");
        var instruction = Str("instruction", "the instruction the target answers");
        var target = r.Text!;
        var full = Path.GetFullPath(audio, Path.GetDirectoryName(Path.GetFullPath(row.Source)) ?? ".");
        if (!File.Exists(full)) throw r.Error($"audio file {full} does not exist", "audio");
        return new SpeechExample(full, instruction, target, prompts.SpeechPrompt(instruction, target), r.Id);
    }
}
