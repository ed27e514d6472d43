using Engine.Methods.Core.Data;
using System.Text;
using Engine.Models.Chat;

namespace Engine.Methods.Training.Data;

/// <summary>Renders a conversation to text; with <c>addGenerationPrompt</c> it ends where the assistant's reply begins.</summary>
public interface IChatRenderer
{
    string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt);
}

/// <summary>
/// The model's own chat template (tokenizer_config.json), with bos/eos token strings passed in. A template that
/// refuses a conversation (raise_exception, e.g. "roles must alternate") surfaces as <see cref="FormatException"/>,
/// so the loader reports it against the record.
/// </summary>
public sealed class TemplateChatRenderer(ChatTemplate template, IReadOnlyDictionary<string, object?>? extra = null) : IChatRenderer
{
    public ChatTemplate Template { get; } = template;

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        try { return Template.Render(messages, addGenerationPrompt, extra); }
        catch (Exception e) when (e is not (FormatException or OutOfMemoryException or NotImplementedException))
        {
            throw new FormatException("chat template: " + e.Message, e);
        }
    }
}

/// <summary>
/// The fallback when the tokenizer has no chat template: Alpaca-style sections joined by a blank line.
/// <code>
/// {system}
///
/// ### Instruction:
/// {user}
///
/// ### Response:
/// {assistant}
/// </code>
/// Other roles render as <c>### {Role}:</c>. The generation prompt is <c>"\n\n### Response:\n"</c> (no leading blank
/// line for an empty conversation). Each turn's text starts with the separator, so rendering a prefix of the
/// conversation gives a prefix of the full text, which the assistant-only loss mask relies on.
/// </summary>
public sealed class PlainChatRenderer : IChatRenderer
{
    public static readonly PlainChatRenderer Instance = new();
    public const string Separator = "\n\n";
    public const string ResponseHeader = "### Response:\n";

    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder();
        foreach (var m in messages)
        {
            if (sb.Length > 0) sb.Append(Separator);
            sb.Append(m.Role switch
            {
                RecordParser.System => "",
                RecordParser.User => "### Instruction:\n",
                RecordParser.Assistant => ResponseHeader,
                _ => $"### {Capitalise(m.Role)}:\n",
            });
            sb.Append(m.Content);
        }
        if (addGenerationPrompt)
        {
            if (sb.Length > 0) sb.Append(Separator);
            sb.Append(ResponseHeader);
        }
        return sb.ToString();
    }

    private static string Capitalise(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
