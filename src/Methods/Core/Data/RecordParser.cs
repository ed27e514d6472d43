using System.Text.Json.Nodes;
using Engine.Models.Chat;
using static Engine.Methods.Core.Data.JsonFields;

namespace Engine.Methods.Core.Data;

/// <summary>
/// The one record parser: a row of any accepted format → <see cref="DataRecord"/>. Every problem — missing or mistyped
/// field, empty completion, malformed message list — raises <see cref="RecordFormatException"/> naming the file, line
/// (row for Parquet, element for a JSON array) and field. <see cref="ParseSft"/>, <see cref="ParsePreference"/> and
/// <see cref="ParseKto"/> are the parse followed by the view.
/// </summary>
public static class RecordParser
{
    public const string User = "user", Assistant = "assistant", System = "system";

    /// <summary>Alpaca's instruction and input are joined by this (SelectIT's rating prompt uses the same joiner).</summary>
    public const string InstructionInputJoiner = "\n";

    public static SftRecord ParseSft(DataRow row, DatasetFormat format = DatasetFormat.Auto) => Parse(row, format).ToSft();
    public static PreferenceRecord ParsePreference(DataRow row, DatasetFormat format = DatasetFormat.Auto) => Parse(row, format).ToPreference();
    public static KtoRecord ParseKto(DataRow row, DatasetFormat format = DatasetFormat.Auto) => Parse(row, format).ToKto();

    /// <summary>The record's <c>id</c> field as a string, when it has one.</summary>
    public static string? IdOf(JsonObject o) => RecordFields.IdOf(o);

    public static DataRecord Parse(DataRow row, DatasetFormat format = DatasetFormat.Auto)
    {
        var o = row.Value;
        var f = format != DatasetFormat.Auto ? format : DatasetFormats.Detect(o) ?? throw Fail(row,
            $"cannot tell the format from fields [{string.Join(", ", o.Select(kv => kv.Key))}]; expected messages, instruction/output, text, " +
            "prompt/completion, prompt/chosen/rejected, prompt/completion/label, prompt or input_ids");
        var fields = RecordFields.Read(row);
        DataRecord Conversation(IReadOnlyList<ChatMessage> turns, int promptTurns, bool conversational,
            IReadOnlyList<ChatMessage>? rejected = null, bool? label = null, string? messagesField = null) =>
            new(f, row, fields, null, null, turns, promptTurns, rejected, label, conversational, messagesField);

        switch (f)
        {
            case DatasetFormat.Text:
                return new DataRecord(f, row, fields, RequireString(row, o, "text"), null, [], 0, null, null, false, null);
            case DatasetFormat.Tokens:
                return new DataRecord(f, row, fields, null, TokenIds(row, o), [], 0, null, null, false, null);
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
                return Conversation(msgs, msgs.Count - 1, false);
            }
            case DatasetFormat.Messages:
            {
                var field = o.ContainsKey("messages") ? "messages" : "conversations";
                var msgs = ConversationParser.Parse(row, o[field], field);
                // The completion is the final assistant turn; a conversation ending on another role is all prompt.
                int prompt = msgs[^1].Role == Assistant ? msgs.Count - 1 : msgs.Count;
                return Conversation(msgs, prompt, true, messagesField: field);
            }
            case DatasetFormat.Prompt:
            {
                var (prompt, conv) = ParsePrompt(row, o);
                return Conversation(prompt, prompt.Count, conv);
            }
            case DatasetFormat.PromptCompletion:
            {
                var (prompt, promptConv) = ParsePrompt(row, o);
                var (completion, completionConv) = ParseCompletion(row, o, "completion");
                return Conversation([.. prompt, .. completion], prompt.Count, promptConv || completionConv);
            }
            case DatasetFormat.Kto:
            {
                var (prompt, promptConv) = ParsePrompt(row, o);
                var (completion, completionConv) = ParseCompletion(row, o, "completion");
                return Conversation([.. prompt, .. completion], prompt.Count, promptConv || completionConv, label: ParseLabel(row, o));
            }
            case DatasetFormat.Preference:
            {
                var (prompt, chosen, rejected, conv) = ParsePreference(row, o);
                return Conversation([.. prompt, .. chosen], prompt.Count, conv, rejected);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(format), f, "unknown dataset format");
        }
    }

    private static (IReadOnlyList<ChatMessage> Prompt, IReadOnlyList<ChatMessage> Chosen, IReadOnlyList<ChatMessage> Rejected, bool Conversational)
        ParsePreference(DataRow row, JsonObject o)
    {
        var chosenNode = Require(row, o, "chosen");
        var rejectedNode = Require(row, o, "rejected");
        bool listForm = chosenNode is JsonArray;
        if (listForm != rejectedNode is JsonArray)
            throw Fail(row, "\"chosen\" and \"rejected\" must both be strings or both be message lists", "rejected");

        if (!listForm)
        {
            var (prompt, conv) = ParsePrompt(row, o);
            return (prompt, ParseCompletion(row, o, "chosen").Turns, ParseCompletion(row, o, "rejected").Turns, conv);
        }

        var chosen = ConversationParser.Parse(row, chosenNode, "chosen");
        var rejected = ConversationParser.Parse(row, rejectedNode, "rejected");
        // A "prompt" next to chosen/rejected lists that already hold the prompt turns (UltraFeedback-binarized style:
        // prompt string + full conversations) is redundant: the shared leading turns are used instead, as TRL does.
        bool listsHoldPrompt = chosen[0].Role != Assistant && rejected[0].Role != Assistant;
        if (o["prompt"] is not null && !listsHoldPrompt)
        {
            var (prompt, _) = ParsePrompt(row, o);
            CheckCompletion(row, chosen, "chosen");
            CheckCompletion(row, rejected, "rejected");
            return (prompt, chosen, rejected, true);
        }
        // TRL's conversational form without "prompt" (or with a redundant one): the shared leading turns are the prompt.
        int shared = 0;
        while (shared < chosen.Count && shared < rejected.Count && chosen[shared] == rejected[shared]) shared++;
        if (shared == 0) throw Fail(row, "\"chosen\" and \"rejected\" share no leading turns to use as the prompt", "chosen");
        var c = chosen.Skip(shared).ToList();
        var r = rejected.Skip(shared).ToList();
        CheckCompletion(row, c, "chosen");
        CheckCompletion(row, r, "rejected");
        return (chosen.Take(shared).ToList(), c, r, true);
    }

    private static (List<ChatMessage> Turns, bool Conversational) ParsePrompt(DataRow row, JsonObject o)
    {
        var node = Require(row, o, "prompt");
        if (node is JsonArray) return (ConversationParser.Parse(row, node, "prompt"), true);
        return ([new ChatMessage(User, AsString(row, node, "prompt"))], false);
    }

    private static (List<ChatMessage> Turns, bool Conversational) ParseCompletion(DataRow row, JsonObject o, string field)
    {
        var node = Require(row, o, field);
        if (node is JsonArray)
        {
            var turns = ConversationParser.Parse(row, node, field);
            CheckCompletion(row, turns, field);
            return (turns, true);
        }
        var text = AsString(row, node, field);
        if (string.IsNullOrWhiteSpace(text)) throw Fail(row, $"\"{field}\" is empty", field);
        return ([new ChatMessage(Assistant, text)], false);
    }

    private static void CheckCompletion(DataRow row, IReadOnlyList<ChatMessage> turns, string field)
    {
        if (turns.Count == 0) throw Fail(row, $"\"{field}\" has no completion turns", field);
        if (turns[^1].Role != Assistant) throw Fail(row, $"\"{field}\" must end with an assistant turn, not \"{turns[^1].Role}\"", field);
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
        throw Fail(row, $"\"label\" must be true or false, got {node.ToJsonString()}", "label");
    }

    private static int[] TokenIds(DataRow row, JsonObject o)
    {
        if (Require(row, o, "input_ids") is not JsonArray list || list.Count == 0)
            throw Fail(row, $"\"input_ids\" must be a non-empty list of token ids, got {Kind(o["input_ids"])}", "input_ids");
        var ids = new int[list.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            if (!TryInteger(list[i], out var id) || id < 0 || id > int.MaxValue)
                throw Fail(row, $"\"input_ids[{i}]\" must be a non-negative integer token id, got {list[i]?.ToJsonString() ?? "null"}", $"input_ids[{i}]");
            ids[i] = (int)id;
        }
        return ids;
    }
}
