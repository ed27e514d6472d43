using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;

namespace Engine.Methods.Curriculum.CCL;

/// <summary>
/// A training example and, when its record carries a paraphrased user turn, the data-level view: the same response
/// tokens after the paraphrased prompt. Without one, CCL's second view is the same input under other dropout masks.
/// </summary>
public sealed record CclExample(SftExample Example, SftExample? View = null)
{
    public static CclExample Of(SftExample e) => new(e);
}

/// <summary>
/// Reads CCL's training records: the usual SFT formats, plus an optional string field (default <c>paraphrase</c>)
/// that replaces the user turn in the second view — Alpaca: instruction (input dropped); chat messages / ShareGPT
/// conversations / prompt-completion: the last user turn. Kept to this one small function on top of the shared record
/// parser so it moves to the shared data layer unchanged.
/// </summary>
public static class CclData
{
    public static (List<CclExample> Examples, DatasetReport Report) Load(IEnumerable<string> paths, ExampleTokenizer tokenizer,
        DatasetOptions? options = null, string paraphraseField = "paraphrase")
    {
        var o = options ?? new DatasetOptions();
        var report = new DatasetReport(o.MaxReportedErrors);
        var list = new List<CclExample>();
        var read = new RecordReadOptions { Format = o.Format, SkipBadRecords = o.SkipBadRecords };
        // The shared reader locates and (with SkipBadRecords) skips bad records, the view's errors included.
        foreach (var r in RecordReader.Read(paths, record => Example(record, tokenizer, o, paraphraseField, report), read, report.Reading))
        {
            if (r.Item is null) continue;
            list.Add(r.Item);
            report.Examples++;
        }
        return (list, report);
    }

    private static CclExample? Example(DataRecord record, ExampleTokenizer tokenizer, DatasetOptions o, string field, DatasetReport report)
    {
        var ex = tokenizer.ToSft(record.ToSft(), out var cut);
        if (cut) report.Truncated++;
        if (ex is null) { report.DroppedNoLoss++; return null; }
        return new CclExample(ex, View(record.Row, ex, tokenizer, o, field));
    }

    private static SftExample? View(DataRow row, SftExample original, ExampleTokenizer tokenizer, DatasetOptions o, string field)
    {
        var node = row.Value[field];
        if (node is null) return null;
        if (node is not JsonValue v || !v.TryGetValue<string>(out var paraphrase))
            throw new RecordFormatException(row.Source, row.Line, $"\"{field}\" must be a string (the paraphrased user turn), got {node.ToJsonString()}");
        if (string.IsNullOrWhiteSpace(paraphrase)) return null;
        var rewritten = new DataRow(row.Source, row.Line, Rewrite(row, paraphrase, field));
        var view = tokenizer.ToSft(RecordParser.ParseSft(rewritten, o.Format), out _)
            ?? throw new RecordFormatException(row.Source, row.Line, $"the \"{field}\" view keeps no response token after truncation");
        var a = Response(original); var b = Response(view);
        int m = Math.Min(a.Length, b.Length);
        if (!a.AsSpan(0, m).SequenceEqual(b.AsSpan(0, m)))
            throw new RecordFormatException(row.Source, row.Line, $"the \"{field}\" view's response tokens differ from the record's (the template must not depend on the prompt's wording)");
        return view;
    }

    private static int[] Response(SftExample e) => e.Labels.Where(l => l != LabelMask.Ignore).ToArray();

    /// <summary>The record with its user turn replaced by <paramref name="paraphrase"/>.</summary>
    private static JsonObject Rewrite(DataRow row, string paraphrase, string field)
    {
        var o = (JsonObject)row.Value.DeepClone();
        o.Remove(field);
        if (o.ContainsKey("instruction") && o.ContainsKey("output"))
        {
            o["instruction"] = paraphrase;
            o.Remove("input");
            return o;
        }
        foreach (var key in new[] { "messages", "conversations", "prompt" })
        {
            if (o[key] is JsonValue && key == "prompt") { o[key] = paraphrase; return o; }
            if (o[key] is JsonArray turns && LastUserTurn(turns) is { } turn)
            {
                turn[turn.ContainsKey("content") ? "content" : "value"] = paraphrase;
                return o;
            }
        }
        throw new RecordFormatException(row.Source, row.Line, $"\"{field}\" is given but the record has no user turn to replace");
    }

    private static JsonObject? LastUserTurn(JsonArray turns)
    {
        for (int i = turns.Count - 1; i >= 0; i--)
            if (turns[i] is JsonObject t && (t["role"] ?? t["from"]) is JsonValue r && r.TryGetValue<string>(out var role) && role is "user" or "human")
                return t;
        return null;
    }
}
