using Engine.Methods.Core.Inference;
using Engine.Models;
using Engine.Models.Chat;

namespace Engine.Cli.Infrastructure;

public static class ChatPrompt
{
    /// <summary>Render messages with the model's chat template (generation prompt added) and encode without adding BOS twice.</summary>
    public static int[] Encode(ModelBundle bundle, IReadOnlyList<ChatMessage> messages) => PromptEncoder.Chat(bundle, messages);
}
