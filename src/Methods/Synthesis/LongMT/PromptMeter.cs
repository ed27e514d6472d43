using Engine.Methods.Teachers;
using Microsoft.Extensions.AI;
using EngineMessage = Engine.Models.Chat.ChatMessage;

namespace Engine.Methods.Synthesis.LongMT;

/// <summary>How many tokens a prompt takes and how many the model holds: decides page sizes and when to split.</summary>
public interface IPromptMeter
{
    /// <summary>Tokens of prompt plus answer the model takes at most.</summary>
    int Context { get; }
    int CountText(string text);
    /// <summary>Tokens of a chat prompt as the model sees it (template included).</summary>
    int CountMessages(IReadOnlyList<ChatMessage> messages);
}

/// <summary>Exact counts with a local model's tokenizer and chat template; its context is the batcher's maximum length.</summary>
public sealed class LocalPromptMeter(LocalModel model, int? context = null) : IPromptMeter
{
    public int Context { get; } = Math.Min(context ?? int.MaxValue, model.Batcher.Options.MaxModelLength);
    public int CountText(string text) => model.Bundle.Tokenizer.Encode(text, addSpecialTokens: false).Length;
    public int CountMessages(IReadOnlyList<ChatMessage> messages) =>
        model.EncodeChat(messages.Select(m => new EngineMessage(m.Role.Value, m.Text)).ToList()).Length;
}

/// <summary>An estimate for remote models whose tokenizer is not at hand: characters / <paramref name="charsPerToken"/>, plus a few tokens per message.</summary>
public sealed class ApproxPromptMeter(int context, double charsPerToken = 3.0) : IPromptMeter
{
    public int Context { get; } = context > 0 ? context : throw new ArgumentOutOfRangeException(nameof(context), "context must be positive.");
    public int CountText(string text) => (int)Math.Ceiling(text.Length / charsPerToken);
    public int CountMessages(IReadOnlyList<ChatMessage> messages) => messages.Sum(m => CountText(m.Text) + 4) + 3;
}

public static class PromptMeters
{
    /// <summary>The exact meter when <paramref name="chat"/> is (or wraps) a local model, else the estimate with <paramref name="remoteContext"/> tokens.</summary>
    public static IPromptMeter For(IChatClient chat, int? context = null, int remoteContext = 8192) =>
        chat.GetService<LocalChatClient>() is { } local ? new LocalPromptMeter(local.Model, context) : new ApproxPromptMeter(context ?? remoteContext);
}
