using Engine.Methods.Core.Data;

namespace Engine.Methods.Selection.SelectIT;

/// <summary>
/// SelectIT's view of a record: the (instruction, response) it is rated on — the first user turn and the first
/// assistant turn after it. Alpaca gives instruction + "\n" + input and output; chat <c>messages</c>, ShareGPT/LLMZoo
/// <c>conversations</c>, prompt/completion and KTO records give their first exchange (system turns are not rated).
/// </summary>
public readonly record struct InstructionPair(string Instruction, string Response)
{
    public static InstructionPair From(DataRecord record)
    {
        if (record.Format == DatasetFormat.Preference)
            throw record.Error("SelectIT rates one response per instruction; a preference record has two (chosen and rejected)");
        var turns = record.Messages;
        int user = -1, assistant = -1;
        for (int i = 0; i < turns.Count && assistant < 0; i++)
        {
            if (user < 0 && turns[i].Role == RecordParser.User) user = i;
            else if (user >= 0 && turns[i].Role == RecordParser.Assistant) assistant = i;
        }
        if (user < 0 || assistant < 0)
            throw record.Error("SelectIT needs an instruction and its response: Alpaca instruction/output, or a user turn followed by an assistant turn " +
                $"(this {record.Format} record has none)", record.MessagesField);
        return new InstructionPair(turns[user].Content, turns[assistant].Content);
    }
}
