using System.Text;
using System.Text.Json.Nodes;
using Engine.Models.Chat;
using static Engine.Methods.Core.Data.JsonFields;

namespace Engine.Methods.Core.Data;

/// <summary>Message lists: [{role, content}] (content a string or a list of {type:"text", text} parts) or ShareGPT [{from, value}].</summary>
internal static class ConversationParser
{
    public static List<ChatMessage> Parse(DataRow row, JsonNode? node, string field)
    {
        if (node is not JsonArray arr) throw Fail(row, $"\"{field}\" must be a list of messages, got {Kind(node)}", field);
        if (arr.Count == 0) throw Fail(row, $"\"{field}\" is an empty list", field);
        var list = new List<ChatMessage>(arr.Count);
        for (int i = 0; i < arr.Count; i++)
        {
            var at = $"{field}[{i}]";
            if (arr[i] is not JsonObject m) throw Fail(row, $"{at} must be an object with role and content, got {Kind(arr[i])}", at);
            var role = m.ContainsKey("role") ? AsString(row, m["role"], $"{at}.role")
                : m.ContainsKey("from") ? ShareGptRole(AsString(row, m["from"], $"{at}.from"))
                : throw Fail(row, $"{at} has no \"role\"", at);
            var content = m.ContainsKey("content") ? Content(row, m["content"], $"{at}.content")
                : m.ContainsKey("value") ? AsString(row, m["value"], $"{at}.value")
                : throw Fail(row, $"{at} has no \"content\"", at);
            if (role == RecordParser.Assistant && string.IsNullOrWhiteSpace(content)) throw Fail(row, $"{at} is an empty assistant turn", at);
            list.Add(new ChatMessage(role, content));
        }
        return list;
    }

    private static string ShareGptRole(string from) => from switch
    {
        "human" => RecordParser.User,
        "gpt" => RecordParser.Assistant,
        _ => from,
    };

    private static string Content(DataRow row, JsonNode? node, string what)
    {
        if (node is not JsonArray parts) return AsString(row, node, what);
        var text = new StringBuilder();
        foreach (var p in parts)
        {
            if (p is JsonObject part && part["text"] is JsonValue t && t.TryGetValue<string>(out var s)) text.Append(s);
            else throw Fail(row, $"{what} parts must be {{\"type\": \"text\", \"text\": ...}} (only text is supported)", what);
        }
        return text.ToString();
    }
}
