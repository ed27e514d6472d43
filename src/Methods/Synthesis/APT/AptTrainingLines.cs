using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;

namespace Engine.Methods.Synthesis.APT;

/// <summary>Records to and from APT's files: a case from an evaluation or pool record, a pair as a preference or SFT line.</summary>
public static class AptTrainingLines
{
    /// <summary>A case from a record: its prompt turns, its gold response (the completion turns' text), and whether it is a chat.</summary>
    public static AptCase CaseOf(DataRecord r) =>
        new(r.Id, r.Prompt, string.Join("\n\n", r.Completion.Select(m => m.Content)), r.IsConversational || r.Format == DatasetFormat.Alpaca);

    /// <summary>A pair as a preference record: message lists for chats (rendered with the chat template, as mining prompts are), strings otherwise.</summary>
    public static JsonObject Preference(AptPair p)
    {
        var o = new JsonObject { ["id"] = p.Id, ["apt_kind"] = p.Kind };
        if (p.RejectedFrom is not null) o["apt_rejected_from"] = p.RejectedFrom;
        o["prompt"] = Prompt(p);
        o["chosen"] = Completion(p, p.Chosen);
        o["rejected"] = Completion(p, p.Rejected);
        return o;
    }

    /// <summary>The same pair's chosen side as a prompt/completion SFT record (the ablation's data).</summary>
    public static JsonObject Sft(AptPair p) => new()
    {
        ["id"] = p.Id, ["apt_kind"] = p.Kind, ["prompt"] = Prompt(p), ["completion"] = Completion(p, p.Chosen),
    };

    private static JsonNode Prompt(AptPair p) => p.Conversational
        ? new JsonArray(p.Prompt.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content }).ToArray())
        : JsonValue.Create(string.Join("\n", p.Prompt.Select(m => m.Content)))!;

    private static JsonNode Completion(AptPair p, string text) => p.Conversational
        ? new JsonArray(new JsonObject { ["role"] = "assistant", ["content"] = text })
        : JsonValue.Create(text)!;
}
