using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;

namespace Engine.Methods.Selection.SelectIT;

/// <summary>The (instruction, response) a record is rated on, from Alpaca, chat "messages" or LLMZoo "conversations".</summary>
public readonly record struct InstructionPair(string Instruction, string Response)
{
    public static InstructionPair From(JsonlRecord rec, string file)
    {
        var o = rec.Value;
        string? S(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (S(o["instruction"]) is { } ins && S(o["output"]) is { } output)
        {
            var input = S(o["input"]);
            // Instruction and input joined by a newline, the same joiner the SFT formatting uses.
            return new(string.IsNullOrEmpty(input) ? ins : ins + "\n" + input, output);
        }
        if (o["messages"] is JsonArray msgs)
        {
            var user = msgs.OfType<JsonObject>().FirstOrDefault(m => S(m["role"]) == "user");
            var asst = msgs.OfType<JsonObject>().FirstOrDefault(m => S(m["role"]) == "assistant");
            if (user is not null && asst is not null && S(user["content"]) is { } u && S(asst["content"]) is { } a) return new(u, a);
            throw new RecordFormatException(file, rec.Line, "\"messages\" needs a user turn and an assistant turn with string content");
        }
        if (o["conversations"] is JsonArray conv && conv.Count >= 2 && conv[0] is JsonObject h && conv[1] is JsonObject g &&
            S(h["value"]) is { } hv && S(g["value"]) is { } gv)
            return new(hv, gv);
        throw new RecordFormatException(file, rec.Line, "record needs instruction/output (Alpaca), messages (chat) or conversations (LLMZoo)");
    }
}
