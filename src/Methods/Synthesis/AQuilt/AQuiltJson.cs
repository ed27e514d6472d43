using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Methods.Teachers;
using Engine.Models;

namespace Engine.Methods.Synthesis.AQuilt;

/// <summary>A generated sample: the question, its reasoning ("logic", AQuilt's <c>thinking_steps</c>) and the answer.</summary>
public sealed record QaPair(string Question, string ThinkingSteps, string Answer)
{
    public JsonObject ToJson() => new() { ["question"] = Question, ["thinking_steps"] = ThinkingSteps, ["answer"] = Answer };
}

/// <summary>A self-inspection: the analysis and the 1–5 score (any integer the model wrote; the keep rule buckets it).</summary>
public sealed record Inspection(string Analysis, int Score);

/// <summary>What parsing a model's answer gave: the value, or why there is none.</summary>
public readonly record struct Parsed<T>(T? Value, string? Error) where T : class
{
    public bool Ok => Value is not null;
    public static Parsed<T> Fail(string why) => new(null, why);
}

/// <summary>
/// AQuilt's JSON in both directions. Writing follows Python's <c>json.dumps(obj, ensure_ascii=False)</c> (", " and
/// ": " separators, non-ASCII kept), the form the model is trained on. Reading is lenient about the wrapping and strict
/// about the content: fences and text around the object are ignored, a missing opening or closing brace is repaired,
/// keys may differ in case and in spaces/hyphens/underscores; but the required keys must be there with string values
/// (numbers are taken as their text), or the answer is refused with the reason (and the sample retried).
/// </summary>
public static class AQuiltJson
{
    public static readonly string[] QaKeys = ["question", "thinking_steps", "answer"];
    public static readonly string[] InspectionKeys = ["analysis_steps", "score"];

    /// <summary><c>{"question": "...", "thinking_steps": "...", "answer": "..."}</c> as json.dumps writes it.</summary>
    public static string Format(QaPair qa) => Dumps([("question", Quote(qa.Question)), ("thinking_steps", Quote(qa.ThinkingSteps)), ("answer", Quote(qa.Answer))]);

    /// <summary><c>{"analysis_steps": "...", "score": 4}</c> as json.dumps writes it (the score as a number).</summary>
    public static string Format(Inspection inspection) =>
        Dumps([("analysis_steps", Quote(inspection.Analysis)), ("score", inspection.Score.ToString(CultureInfo.InvariantCulture))]);

    private static string Dumps(IEnumerable<(string Key, string Json)> fields) =>
        "{" + string.Join(", ", fields.Select(f => Quote(f.Key) + ": " + f.Json)) + "}";

    /// <summary>A JSON string literal as Python's json.dumps(ensure_ascii=False) writes it.</summary>
    public static string Quote(string s) => PythonJson.Quote(s, ensureAscii: false);

    /// <summary>
    /// A generated pair from a completion. With prefix forcing the completion continues <paramref name="forced"/>, so
    /// forced + completion is read first (AQuilt's rule), then the completion alone (a chat teacher that restarted the JSON).
    /// </summary>
    public static Parsed<QaPair> ParseQa(string completion, string forced = "")
    {
        Parsed<QaPair> first = default;
        foreach (var text in forced.Length > 0 ? new[] { forced + completion, completion } : [completion])
        {
            var r = ParseQaText(text);
            if (r.Ok) return r;
            if (first.Error is null) first = r;
        }
        return first;
    }

    private static Parsed<QaPair> ParseQaText(string text)
    {
        var obj = FindObject(text, out var error);
        if (obj is null) return Parsed<QaPair>.Fail(error);
        var values = new string[QaKeys.Length];
        for (int k = 0; k < QaKeys.Length; k++)
        {
            if (!TryString(obj, QaKeys[k], out values[k], out error)) return Parsed<QaPair>.Fail(error);
        }
        if (values[0].Trim().Length == 0) return Parsed<QaPair>.Fail("the question is empty");
        if (values[2].Trim().Length == 0) return Parsed<QaPair>.Fail("the answer is empty");
        return new Parsed<QaPair>(new QaPair(values[0], values[1], values[2]), null);
    }

    /// <summary>An inspection from a completion: <c>analysis_steps</c> (a string) and an integer <c>score</c> (a number, or a string holding one).</summary>
    public static Parsed<Inspection> ParseInspection(string completion)
    {
        var obj = FindObject(completion, out var error);
        if (obj is null) return Parsed<Inspection>.Fail(error);
        if (!TryString(obj, "analysis_steps", out var analysis, out error)) return Parsed<Inspection>.Fail(error);
        var node = Get(obj, "score");
        if (node is null) return Parsed<Inspection>.Fail(MissingKey(obj, "score"));
        if (!TryScore(node, out var score)) return Parsed<Inspection>.Fail($"the score {node.ToJsonString()} is not an integer");
        return new Parsed<Inspection>(new Inspection(analysis, score), null);
    }

    /// <summary>An integer score: a JSON number with no fraction, or a string that is one (AQuilt writes both "4" and 4).</summary>
    public static bool TryScore(JsonNode node, out int score)
    {
        score = 0;
        if (node is not JsonValue v) return false;
        if (v.GetValueKind() == JsonValueKind.Number)
        {
            if (v.TryGetValue<int>(out score)) return true;
            if (v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue) { score = (int)d; return true; }
            return false;
        }
        return v.TryGetValue<string>(out var s) && int.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out score);
    }

    /// <summary>
    /// The JSON object in a model's text: code fences removed, the first '{' to its balanced '}' (text after it ignored);
    /// a missing '{' is added when the text starts with a quoted key, and an object cut off before its '}' is closed
    /// (inside an unterminated string, the string too).
    /// </summary>
    internal static JsonObject? FindObject(string text, out string error)
    {
        var s = text.Replace("```json", "", StringComparison.Ordinal).Replace("```", "", StringComparison.Ordinal).Trim();
        int start = s.IndexOf('{');
        if (start < 0)
        {
            // Missing opening brace: "question": "..." ... }
            if (!s.StartsWith('"')) { error = s.Length == 0 ? "the answer is empty" : "the answer holds no JSON object"; return null; }
            s = "{" + s;
            start = 0;
        }
        int end = TeacherJson.BalancedEnd(s, start, out bool inString);
        string candidate = end > 0 ? s[start..end] : Close(s[start..], inString);
        try
        {
            if (JsonNode.Parse(candidate) is JsonObject o)
            {
                // Properties are read lazily; touch them here so a repeated key fails now, as a refusal, not later as a crash.
                _ = o.Count;
                error = "";
                return o;
            }
            error = "the answer's JSON is not an object";
        }
        catch (JsonException e)
        {
            error = end > 0 ? $"the answer's JSON does not parse ({FirstLine(e.Message)})" : $"the answer's JSON object is not closed and could not be repaired ({FirstLine(e.Message)})";
        }
        catch (ArgumentException e)
        {
            error = $"the answer's JSON repeats a key ({FirstLine(e.Message)})";
        }
        return null;
    }

    private static string Close(string open, bool inString)
    {
        var t = open.TrimEnd();
        if (inString) return t + "\"}";
        if (t.EndsWith(',')) t = t[..^1];
        return t + "}";
    }

    private static string FirstLine(string s) { int i = s.IndexOf('\n'); return (i < 0 ? s : s[..i]).TrimEnd('.'); }

    /// <summary>The value of a key, matched ignoring case and treating spaces, hyphens and underscores alike.</summary>
    private static JsonNode? Get(JsonObject o, string key)
    {
        if (o.TryGetPropertyValue(key, out var exact)) return exact;
        foreach (var (k, v) in o)
            if (KeyForm(k) == KeyForm(key)) return v;
        return null;
    }

    private static string KeyForm(string k) => string.Join('_', k.Trim().ToLowerInvariant().Split([' ', '-', '_'], StringSplitOptions.RemoveEmptyEntries));

    private static bool TryString(JsonObject o, string key, out string value, out string error)
    {
        value = "";
        var node = Get(o, key);
        if (node is null)
        {
            error = o.Any(kv => KeyForm(kv.Key) == KeyForm(key)) ? $"'{key}' is null" : MissingKey(o, key);
            return false;
        }
        if (node is JsonValue v)
        {
            switch (v.GetValueKind())
            {
                case JsonValueKind.String: value = v.GetValue<string>(); error = ""; return true;
                case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False: value = v.ToJsonString(); error = ""; return true;
            }
        }
        error = $"'{key}' must be a string, got {KindName(node)}";
        return false;
    }

    private static string MissingKey(JsonObject o, string key) =>
        $"missing key '{key}' (the object has {(o.Count == 0 ? "no keys" : string.Join(", ", o.Select(kv => "'" + kv.Key + "'")))})";

    private static string KindName(JsonNode n) => n switch
    {
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind().ToString().ToLowerInvariant(),
        _ => "null",
    };
}
