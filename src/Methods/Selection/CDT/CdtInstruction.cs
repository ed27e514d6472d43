using Engine.Methods.Core.Data;

namespace Engine.Methods.Selection.CDT;

/// <summary>
/// What CDT tags in a record: the first user turn (Alpaca: instruction + "\n" + input; chat, ShareGPT, prompt and
/// preference records: their first user message), or the text of a text record. The paper tags <c>messages[0]</c>.
/// A record with nothing to tag (empty user turn, token ids only) gives "" and is reported, not tagged.
/// </summary>
public static class CdtInstruction
{
    public static string Of(DataRecord record)
    {
        if (record.Format == DatasetFormat.Text) return record.Text ?? "";
        foreach (var m in record.Messages)
            if (m.Role == RecordParser.User) return m.Content;
        return "";
    }
}
