using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Models.Chat;

namespace Engine.Methods.Core.Data;

/// <summary>
/// Turns raw rows into typed records, checking fields. Every problem — missing or mistyped field, empty
/// completion, a conversation with no assistant turn — raises <see cref="RecordFormatException"/> naming the
/// file and line (row for Parquet).
/// </summary>
public static class RecordParser
{
    public const string User = "user", Assistant = "assistant", System = "system";

    /// <summary>Alpaca's instruction and input are joined by this (SelectIT's rating prompt uses the same joiner).</summary>
    public const string InstructionInputJoiner = "\n";

    public static SftRecord ParseSft(DataRow row, DatasetFormat format = DatasetFormat.Auto)
    {
        var o = row.Value;
        var f = Resolve(row, format);
        var id = IdOf(o);
        switch (f)
        {
            case DatasetFormat.Text:
                return new SftRecord(f, RequireString(row, o, "text"), [], false, id, row);
            case DatasetFormat.Alpaca:
            {
                var instruction = RequireString(row, o, "instruction");
                var input = OptionalString(row, o, "input");
                var output = RequireString(row, o, "output");
                var system = OptionalString(row, o, "system");
                var msgs = new List<ChatMessage>();
                if (!string.IsNullOrEmpty(system)) msgs.Add(new ChatMessage(System, system));
                msgs.Add(new ChatMessage(User, string.IsNullOrEmpty(input) ? instruction : instruction + InstructionInputJoiner + input));
                msgs.Add(new ChatMessage(Assistant, output));
                return new SftRecord(f, null, msgs, false, id, row);
            }
            case DatasetFormat.Messages:
            {
                var field = o.ContainsKey("messages") ? "messages" : "conversations";
                var msgs = ParseMessages(row, o[field], field);
                if (!msgs.Any(m => m.Role == Assistant))
                    throw Fail(row, $"\"{field}\" has no assistant turn, so there is nothing to train on");
                return new SftRecord(f, null, msgs, true, id, row);
            }
            case DatasetFormat.PromptCompletion:
            {
                var (prompt, promptConv) = ParsePrompt(row, o);
                var (completion, completionConv) = ParseCompletion(row, o, "completion");
                return new SftRecord(f, null, [.. prompt, .. completion], promptConv || completionConv, id, row, prompt.Count);
            }
            default:
                throw Fail(row, $"{f} records are not supervised fine-tuning data (need messages, instruction/output, prompt/completion or text)");
        }
    }

    public static PreferenceRecord ParsePreference(DataRow row, DatasetFormat format = DatasetFormat.Auto)
    {
        var o = row.Value;
        var f = Resolve(row, format);
        if (f != DatasetFormat.Preference)
            throw Fail(row, $"{f} record where preference data is expected (needs chosen and rejected)");
        var chosenNode = Require(row, o, "chosen");
        var rejectedNode = Require(row, o, "rejected");
        bool listForm = chosenNode is JsonArray;
        if (listForm != rejectedNode is JsonArray)
            throw Fail(row, "\"chosen\" and \"rejected\" must both be strings or both be message lists");

        if (!listForm)
        {
            var (prompt, conv) = ParsePrompt(row, o);
            return new PreferenceRecord(prompt, ParseCompletion(row, o, "chosen").Turns, ParseCompletion(row, o, "rejected").Turns, conv, IdOf(o), row);
        }

        var chosen = ParseMessages(row, chosenNode, "chosen");
        var rejected = ParseMessages(row, rejectedNode, "rejected");
        // A "prompt" next to chosen/rejected lists that already hold the prompt turns (UltraFeedback-binarized style:
        // prompt string + full conversations) is redundant: the shared leading turns are used instead, as TRL does.
        bool listsHoldPrompt = chosen[0].Role != Assistant && rejected[0].Role != Assistant;
        if (o["prompt"] is not null && !listsHoldPrompt)
        {
            var (prompt, _) = ParsePrompt(row, o);
            CheckCompletion(row, chosen, "chosen");
            CheckCompletion(row, rejected, "rejected");
            return new PreferenceRecord(prompt, chosen, rejected, true, IdOf(o), row);
        }
        // TRL's conversational form without "prompt" (or with a redundant one): the shared leading turns are the prompt.
        int shared = 0;
        while (shared < chosen.Count && shared < rejected.Count && chosen[shared] == rejected[shared]) shared++;
        if (shared == 0) throw Fail(row, "\"chosen\" and \"rejected\" share no leading turns to use as the prompt");
        var c = chosen.Skip(shared).ToList();
        var r = rejected.Skip(shared).ToList();
        CheckCompletion(row, c, "chosen");
        CheckCompletion(row, r, "rejected");
        return new PreferenceRecord(chosen.Take(shared).ToList(), c, r, true, IdOf(o), row);
    }

    public static KtoRecord ParseKto(DataRow row, DatasetFormat format = DatasetFormat.Auto)
    {
        var o = row.Value;
        var f = Resolve(row, format);
        if (f != DatasetFormat.Kto)
            throw Fail(row, $"{f} record where KTO data is expected (needs prompt, completion and label)");
        var (prompt, promptConv) = ParsePrompt(row, o);
        var (completion, completionConv) = ParseCompletion(row, o, "completion");
        return new KtoRecord(prompt, completion, ParseLabel(row, o), promptConv || completionConv, IdOf(o), row);
    }

    /// <summary>The record's <c>id</c> field as a string, when it has one.</summary>
    public static string? IdOf(JsonObject o) => o["id"] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => null,
    };

    private static DatasetFormat Resolve(DataRow row, DatasetFormat format)
    {
        if (format != DatasetFormat.Auto) return format;
        return DatasetFormats.Detect(row.Value) ?? throw Fail(row,
            $"cannot tell the format from fields [{string.Join(", ", row.Value.Select(kv => kv.Key))}]; expected messages, " +
            "instruction/output, text, prompt/completion, prompt/chosen/rejected or prompt/completion/label");
    }

    private static (List<ChatMessage> Turns, bool Conversational) ParsePrompt(DataRow row, JsonObject o)
    {
        var node = Require(row, o, "prompt");
        if (node is JsonArray) return (ParseMessages(row, node, "prompt"), true);
        return ([new ChatMessage(User, AsString(row, node, "prompt"))], false);
    }

    private static (List<ChatMessage> Turns, bool Conversational) ParseCompletion(DataRow row, JsonObject o, string field)
    {
        var node = Require(row, o, field);
        if (node is JsonArray)
        {
            var turns = ParseMessages(row, node, field);
            CheckCompletion(row, turns, field);
            return (turns, true);
        }
        var text = AsString(row, node, field);
        if (string.IsNullOrWhiteSpace(text)) throw Fail(row, $"\"{field}\" is empty");
        return ([new ChatMessage(Assistant, text)], false);
    }

    private static void CheckCompletion(DataRow row, IReadOnlyList<ChatMessage> turns, string field)
    {
        if (turns.Count == 0) throw Fail(row, $"\"{field}\" has no completion turns");
        if (turns[^1].Role != Assistant) throw Fail(row, $"\"{field}\" must end with an assistant turn, not \"{turns[^1].Role}\"");
    }

    /// <summary>[{role, content}] or ShareGPT [{from, value}]; content may be a string or a list of {type:"text", text} parts.</summary>
    private static List<ChatMessage> ParseMessages(DataRow row, JsonNode? node, string field)
    {
        if (node is not JsonArray arr) throw Fail(row, $"\"{field}\" must be a list of messages, got {Kind(node)}");
        if (arr.Count == 0) throw Fail(row, $"\"{field}\" is an empty list");
        var list = new List<ChatMessage>(arr.Count);
        for (int i = 0; i < arr.Count; i++)
        {
            if (arr[i] is not JsonObject m) throw Fail(row, $"{field}[{i}] must be an object with role and content, got {Kind(arr[i])}");
            var role = m.ContainsKey("role") ? AsString(row, m["role"], $"{field}[{i}].role")
                : m.ContainsKey("from") ? ShareGptRole(AsString(row, m["from"], $"{field}[{i}].from"))
                : throw Fail(row, $"{field}[{i}] has no \"role\"");
            var content = m.ContainsKey("content") ? Content(row, m["content"], $"{field}[{i}].content")
                : m.ContainsKey("value") ? AsString(row, m["value"], $"{field}[{i}].value")
                : throw Fail(row, $"{field}[{i}] has no \"content\"");
            if (role == Assistant && string.IsNullOrWhiteSpace(content)) throw Fail(row, $"{field}[{i}] is an empty assistant turn");
            list.Add(new ChatMessage(role, content));
        }
        return list;
    }

    private static string ShareGptRole(string from) => from switch
    {
        "human" => User,
        "gpt" => Assistant,
        _ => from,
    };

    private static string Content(DataRow row, JsonNode? node, string what)
    {
        if (node is not JsonArray parts) return AsString(row, node, what);
        var text = new global::System.Text.StringBuilder();
        foreach (var p in parts)
        {
            if (p is JsonObject part && part["text"] is JsonValue t && t.TryGetValue<string>(out var s)) text.Append(s);
            else throw Fail(row, $"{what} parts must be {{\"type\": \"text\", \"text\": ...}} (only text is supported)");
        }
        return text.ToString();
    }

    private static bool ParseLabel(DataRow row, JsonObject o)
    {
        var node = Require(row, o, "label");
        if (node is JsonValue v)
        {
            if (v.TryGetValue<bool>(out var b)) return b;
            if (TryNumber(v, out var d) && (d == 0 || d == 1)) return d == 1;
            if (v.TryGetValue<string>(out var s) && bool.TryParse(s, out var sb)) return sb;
        }
        throw Fail(row, $"\"label\" must be true or false, got {node.ToJsonString()}");
    }

    /// <summary>A JSON number as double, whether it came from parsed text or was created from a CLR value (Parquet).</summary>
    internal static bool TryNumber(JsonNode? node, out double value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number &&
               double.TryParse(v.ToJsonString(), global::System.Globalization.NumberStyles.Float, global::System.Globalization.CultureInfo.InvariantCulture, out value);
    }

    private static JsonNode Require(DataRow row, JsonObject o, string field) =>
        o[field] ?? throw Fail(row, o.ContainsKey(field) ? $"\"{field}\" is null" : $"missing field \"{field}\"");

    private static string RequireString(DataRow row, JsonObject o, string field)
    {
        var s = AsString(row, Require(row, o, field), field);
        if (string.IsNullOrWhiteSpace(s)) throw Fail(row, $"\"{field}\" is empty");
        return s;
    }

    private static string? OptionalString(DataRow row, JsonObject o, string field) =>
        o[field] is null ? null : AsString(row, o[field], field);

    private static string AsString(DataRow row, JsonNode? node, string field) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Fail(row, $"\"{field}\" must be a string, got {Kind(node)}");

    private static string Kind(JsonNode? n) => n switch
    {
        null => "null",
        JsonArray => "a list",
        JsonObject => "an object",
        JsonValue v => v.GetValueKind().ToString().ToLowerInvariant(),
        _ => n.GetType().Name,
    };

    internal static RecordFormatException Fail(DataRow row, string message) => new(row.Source, row.Line, message);
}
