using Engine.Methods.Core.Data;
using Engine.Models;
using Engine.Models.Chat;

namespace Engine.Methods.Core.Inference;

/// <summary>Token ids of a prompt: chat turns through the model's chat template (with the generation prompt), plain text as it is.</summary>
public static class PromptEncoder
{
    /// <summary>Render messages with the model's chat template (generation prompt added) and encode without adding BOS twice.</summary>
    public static int[] Chat(ModelBundle bundle, IReadOnlyList<ChatMessage> messages)
    {
        var template = bundle.Tokenizer.ChatTemplate
            ?? throw new FormatException($"{bundle.Directory} has no chat_template in tokenizer_config.json, so chat records cannot be rendered; use \"prompt\" or \"text\" strings instead.");
        var text = template.Render(messages, addGenerationPrompt: true, new Dictionary<string, object?>
        {
            ["bos_token"] = bundle.Tokenizer.BosToken ?? "",
            ["eos_token"] = bundle.Tokenizer.EosToken ?? "",
        });
        return bundle.Tokenizer.Encode(text, addSpecialTokens: false);
    }

    /// <summary>
    /// The generation prompt of a record: <c>input_ids</c> as they are; <c>text</c> and string <c>prompt</c>s encoded as
    /// plain text (with the tokenizer's BOS); chat turns and Alpaca instructions (<see cref="DataRecord.Prompt"/>: the
    /// turns before the completion, if the record has one) through the chat template.
    /// </summary>
    public static int[] Of(DataRecord record, ModelBundle bundle)
    {
        if (record.InputIds is { } ids) return [.. ids];
        if (record.Text is { } text) return bundle.Tokenizer.Encode(text, addSpecialTokens: true);
        var prompt = record.Prompt;
        if (prompt.Count == 0) throw record.Error("the record has no prompt turns (it starts with an assistant turn)");
        bool plain = !record.IsConversational && record.Format != DatasetFormat.Alpaca && prompt.Count == 1;
        return plain ? bundle.Tokenizer.Encode(prompt[0].Content, addSpecialTokens: true) : Chat(bundle, prompt);
    }
}
