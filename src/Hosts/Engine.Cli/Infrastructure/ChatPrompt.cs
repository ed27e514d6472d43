using Engine.Models;
using Engine.Models.Chat;

namespace Engine.Cli.Infrastructure;

public static class ChatPrompt
{
    /// <summary>Render messages with the model's chat template (generation prompt added) and encode without adding BOS twice.</summary>
    public static int[] Encode(ModelBundle bundle, IReadOnlyList<ChatMessage> messages)
    {
        var template = bundle.Tokenizer.ChatTemplate
            ?? throw new InvalidOperationException($"{bundle.Directory} has no chat_template in tokenizer_config.json; use \"prompt\" records instead of \"messages\".");
        var text = template.Render(messages, addGenerationPrompt: true, new Dictionary<string, object?>
        {
            ["bos_token"] = bundle.Tokenizer.BosToken ?? "",
            ["eos_token"] = bundle.Tokenizer.EosToken ?? "",
        });
        return bundle.Tokenizer.Encode(text, addSpecialTokens: false);
    }
}
