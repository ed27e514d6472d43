namespace Engine.Methods.Evaluation.Testbed;

/// <summary>
/// Output formats, with the field names the community tools use:
/// alpaca (instruction/input/output — the full record schema), chat (messages: user/assistant),
/// preference (prompt/chosen/rejected), kto (prompt/completion/label, two lines per record).
/// </summary>
public enum TestbedFormat { Alpaca, Chat, Preference, Kto }

public static class TestbedFormats
{
    public static TestbedFormat Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "alpaca" => TestbedFormat.Alpaca,
        "chat" or "messages" => TestbedFormat.Chat,
        "preference" or "dpo" => TestbedFormat.Preference,
        "kto" => TestbedFormat.Kto,
        _ => throw new ArgumentException($"Unknown testbed format '{name}'. Known: alpaca, chat, preference, kto."),
    };
}
